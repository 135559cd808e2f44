from __future__ import annotations

from pathlib import Path

from PIL import Image

from fashiongan.viz.animation import make_gif
from fashiongan.viz.plots import plot_training


def test_plots_are_written_only_for_what_was_recorded(tmp_path: Path):
    records = [{"epoch": e, "d_loss": 1.0 / e, "g_loss": 0.7, "d_acc_real": 0.6, "d_acc_fake": 0.5} for e in (1, 2, 3)]
    made = plot_training(records, tmp_path)
    assert sorted(p.name for p in made) == ["accuracy.png", "losses.png"]
    assert Image.open(tmp_path / "losses.png").size[0] > 300
    records[-1]["fid"] = 12.5
    assert "fid.png" in [p.name for p in plot_training(records, tmp_path)]


def test_gif_has_one_frame_per_epoch_and_loops(tmp_path: Path):
    frames = []
    for i in range(3):
        path = tmp_path / f"epoch_{i}.png"
        Image.new("L", (30, 30), i * 100).save(path)
        frames.append(path)
    gif = make_gif(frames, tmp_path / "progress.gif", min_width=90)
    with Image.open(gif) as animation:
        assert animation.n_frames == 3 and animation.size == (90, 90)
        assert animation.info.get("loop") == 0
    assert make_gif([], tmp_path / "none.gif") is None


def test_a_long_run_keeps_at_most_max_frames_first_and_last_included():
    from fashiongan.viz.animation import MAX_FRAMES, evenly_spaced

    frames = [f"epoch_{i:04d}.png" for i in range(1, 949)]
    picked = evenly_spaced(frames)
    assert len(picked) == MAX_FRAMES and picked[0] == frames[0] and picked[-1] == frames[-1]
    assert picked == sorted(set(picked)) and evenly_spaced(frames[:5]) == frames[:5]
