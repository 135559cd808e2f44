"""The sampling path: per-image seeds, class choice, interpolation, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fashiongan.errors import UserError
from fashiongan.generate import generate, interpolation_grid, load_generator, noise_for_seeds, resolve_class, slerp
from fashiongan.training.loop import train

from .training.conftest import tiny_config


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    generator = torch.Generator().manual_seed(0)
    from fashiongan.data.dataset import ImageDataset

    data = ImageDataset(torch.randint(0, 256, (32, 1, 28, 28), dtype=torch.uint8, generator=generator),
                        torch.arange(32) % 4, ["Top", "Trouser", "Ankle boot", "Bag"])
    run_dir = tmp_path_factory.mktemp("gen") / "run"
    train(tiny_config(**{"train.epochs": 1}), run_dir, data=data, progress_bar=False)
    return run_dir


def test_noise_of_a_seed_does_not_depend_on_the_others():
    assert torch.equal(noise_for_seeds([5, 6, 7], 10)[1], noise_for_seeds([6], 10)[0])


def test_images_do_not_depend_on_batch_size(tiny_run: Path):
    a = generate(tiny_run, n=12, seed=3, device="cpu", batch_size=5)
    b = generate(tiny_run, n=12, seed=3, device="cpu", batch_size=12)
    c = generate(tiny_run, n=4, seed=11, device="cpu")  # seeds 11..14 = images 8..11 of a
    assert torch.equal(a.images, b.images)
    assert torch.equal(a.images[8:], c.images)
    assert a.images.dtype == torch.uint8 and a.images.shape == (12, 1, 28, 28)


def test_classes_cycle_or_follow_the_request(tiny_run: Path):
    cycling = generate(tiny_run, n=6, device="cpu")
    assert cycling.labels.tolist() == [0, 1, 2, 3, 0, 1]
    by_name = generate(tiny_run, n=3, class_index="ankle BOOT", device="cpu")
    by_index = generate(tiny_run, n=3, class_index="2", device="cpu")
    assert by_name.labels.tolist() == [2, 2, 2]
    assert torch.equal(by_name.images, by_index.images)
    assert by_name.class_names == ["Top", "Trouser", "Ankle boot", "Bag"]


def test_unknown_class_lists_the_valid_ones():
    with pytest.raises(UserError, match=r"unknown class 'Hat'; valid classes: 0=Top, 1=Bag"):
        resolve_class("Hat", ["Top", "Bag"])
    with pytest.raises(UserError, match="out of range"):
        resolve_class(5, ["Top", "Bag"])


def test_interpolation_walks_from_one_end_to_the_other(tiny_run: Path):
    images, steps = interpolation_grid(tiny_run, rows=2, steps=5, seed=0, device="cpu")
    assert images.shape == (10, 1, 28, 28) and steps == 5
    ends = generate(tiny_run, n=4, seed=0, device="cpu", seeds=[0, 1])
    generator, _, _ = load_generator(tiny_run, device="cpu")
    assert images.float().std() > 0
    first_row_start = images[0].float()
    expected = ends.images[0].float()  # seed 0, class 0: the start of walk 0
    assert (first_row_start - expected).abs().max() <= 1  # equal up to float rounding


def test_slerp_endpoints():
    a, b = torch.randn(1, 1, 8), torch.randn(1, 1, 8)
    t = torch.tensor([0.0, 1.0]).view(1, 2, 1)
    out = slerp(a, b, t)
    assert torch.allclose(out[0, 0], a[0, 0], atol=1e-5) and torch.allclose(out[0, 1], b[0, 0], atol=1e-5)


def test_missing_or_corrupt_runs_are_user_errors(tmp_path: Path, tiny_run: Path):
    with pytest.raises(UserError, match="run folder not found"):
        generate(tmp_path / "missing")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    (broken / "checkpoints" / "last").mkdir(parents=True)
    (broken / "checkpoints" / "last" / "state.json").write_text("{}")
    with pytest.raises(UserError, match="not valid JSON"):
        generate(broken)


def test_a_run_folder_of_version_0_1_still_generates(tmp_path: Path):
    """config.json with 0.1's keys, a checkpoint with no module list or checksums, optimizers as opt_g/opt_d."""
    import json

    from fashiongan.config import make_config
    from fashiongan.io import save_tensors, save_torch_state
    from fashiongan.models.build import build_models

    config = make_config("fmnist", {"model.g_channels": 16, "model.d_channels": 8})
    old = config.to_dict()
    old["train"]["lr_decay"] = old["train"].pop("lr_schedule").replace("constant", "none")
    for key in ("seconds", "r1_gamma", "r2_gamma", "gp_weight", "penalty_every", "aux_weight", "ema_kimg",
                "ema_rampup", "augment", "precision", "channels_last", "compile", "threads", "log_every",
                "lr_decay_start"):
        old["train"].pop(key)
    for key in ("generator", "g_upsample"):
        old["model"].pop(key)
    old["train"]["epochs"] = 50
    run = tmp_path / "old-run"
    (run / "checkpoints" / "last").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps(old))
    generator, discriminator = build_models(config)
    save_tensors(run / "checkpoints" / "last" / "generator.safetensors", generator.state_dict())
    save_tensors(run / "checkpoints" / "last" / "discriminator.safetensors", discriminator.state_dict())
    save_torch_state(run / "checkpoints" / "last" / "training-state.pt", {"opt_g": {}, "opt_d": {}})
    (run / "checkpoints" / "last" / "state.json").write_text(json.dumps(
        {"epoch": 1, "step": 10, "batch_in_epoch": 0, "class_names": [str(i) for i in range(10)],
         "partial_sums": {}, "best_fid": None, "elapsed_s": 3.0}))
    samples = generate(run, n=12, seed=0, device="cpu")
    assert samples.images.shape == (12, 1, 28, 28) and samples.labels.tolist() == [i % 10 for i in range(12)]


def test_truncation_scales_the_noise_and_is_checked():
    from fashiongan.generate import noise_for_seeds

    full, half = noise_for_seeds([3, 4], 8), noise_for_seeds([3, 4], 8, truncation=0.5)
    assert torch.allclose(half, full * 0.5)
    from fashiongan.cli import main

    with pytest.raises(SystemExit) as exit_info:  # argparse: one usage line and exit 2
        main(["generate", "nowhere", "--truncation", "1.5", "--out", "x.png"])
    assert exit_info.value.code == 2
