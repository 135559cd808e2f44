"""Held-out checkpoint choice: scores recorded, best kept, patience stops, bookkeeping by images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fashiongan.config import make_config
from fashiongan.data.batches import epoch_repeats
from fashiongan.errors import UserError
from fashiongan.io import read_jsonl
from fashiongan.training.loop import train
from fashiongan.training.selection import judge

from .conftest import tiny_config

SELECT = {"data.holdout_per_class": 2, "train.select_kimg": 0.001, "train.select_n": 64,
          "train.select_features": "random"}


def test_judge_keeps_the_lowest_and_counts_the_rest():
    assert judge({"holdout_kid": 2.0}, None, 0) == (True, 0)
    assert judge({"holdout_kid": 3.0}, 2.0, 0) == (False, 1)
    assert judge({"holdout_kid": 1.0}, 2.0, 4) == (True, 0)


def test_every_score_is_recorded_and_best_holds_the_lowest(tmp_path: Path, tiny_data):
    result = train(tiny_config(**SELECT, **{"train.epochs": 3}), tmp_path / "run", data=tiny_data,
                   progress_bar=False)
    records = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    scores = [r["holdout_kid"] for r in records]
    assert len(scores) == 3 and all(0 <= r["holdout_copies"] <= 1 for r in records)
    best = json.loads((tmp_path / "run" / "checkpoints" / "best" / "state.json").read_text())
    assert best["best_holdout"] == min(scores)
    assert json.loads((tmp_path / "run" / "data.json").read_text())["holdout_per_class"] == [2, 2, 2, 2]
    assert result.stop_reason == "epochs"


def test_patience_stops_a_run_that_stopped_improving(tmp_path: Path, tiny_data, monkeypatch):
    from fashiongan.training import selection

    values = iter([3.0, 1.0, 2.0, 2.5, 0.5, 0.1])
    monkeypatch.setattr(selection.HoldoutScorer, "score",
                        lambda self, generator: {"holdout_kid": next(values), "holdout_fid": 0.0,
                                                 "holdout_copies": 0.0})
    config = tiny_config(**SELECT, **{"train.epochs": 6, "train.patience": 2})
    result = train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    assert result.stop_reason == "patience" and result.epochs_done == 4
    best = json.loads((tmp_path / "run" / "checkpoints" / "best" / "state.json").read_text())
    assert best["step"] == 2 * 2  # the second epoch's score (1.0) was the best: 2 steps per epoch
    last = json.loads((tmp_path / "run" / "checkpoints" / "last" / "state.json").read_text())
    assert last["epoch"] == 4 and last["stale_scores"] == 2


def test_scores_before_select_after_are_recorded_but_never_best(tmp_path: Path, tiny_data, monkeypatch):
    from fashiongan.training import selection

    values = iter([0.1, 0.2, 3.0, 1.0, 2.0, 1.5])  # the first two are lowest, and come in the first half
    monkeypatch.setattr(selection.HoldoutScorer, "score",
                        lambda self, generator: {"holdout_kid": next(values), "holdout_fid": 0.0,
                                                 "holdout_copies": 0.0})
    config = tiny_config(**SELECT, **{"train.epochs": 6, "train.select_after": 0.5})
    train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    records = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert [r["holdout_kid"] for r in records] == pytest.approx([0.1, 0.2, 3.0, 1.0, 2.0, 1.5])
    assert [r.get("holdout_judged", True) for r in records] == [False, False, True, True, True, True]
    best = json.loads((tmp_path / "run" / "checkpoints" / "best" / "state.json").read_text())
    assert best["step"] == 4 * 2 and best["best_holdout"] == pytest.approx(1.0)  # the fourth epoch's: 2 steps per epoch


def test_selection_options_need_a_holdout():
    with pytest.raises(UserError, match="pass --holdout N"):
        make_config("fmnist", {"train.select_kimg": 10.0})
    with pytest.raises(UserError, match="set --select-kimg too"):
        make_config("fmnist", {"train.patience": 3, "data.holdout_per_class": 2})


def test_small_data_is_repeated_within_an_epoch(tmp_path: Path, tiny_data):
    assert epoch_repeats(500, 20_000) == 40 and epoch_repeats(60_000, 20_000) == 1 and epoch_repeats(7, 0) == 1
    result = train(tiny_config(**{"train.epoch_images": 100, "train.epochs": 1}), tmp_path / "run",
                   data=tiny_data, progress_bar=False)
    records = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert result.epochs_done == 1 and records[0]["step"] == 120 // 16  # 40 images x 3 passes, batches of 16


def _garments(count: int, seed: int) -> torch.Tensor:
    """uint8 images of a bright bar at a random height on dark ground: a distribution a sample can match."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 40, (count, 1, 28, 28), dtype=torch.uint8, generator=generator)
    for i, row in enumerate(torch.randint(4, 20, (count,), generator=generator).tolist()):
        images[i, :, row : row + 6, 4:24] = 220
    return images


def test_held_out_kid_ranks_samples_whatever_the_feature_scale(monkeypatch):
    """A random network's features are small; KID's cubic kernel is not scale-free, so the scorer divides by
    the held-out features' RMS (before, every score rounded to 0 and the first checkpoint stayed best)."""
    from fashiongan.data.dataset import ImageDataset
    from fashiongan.training import selection

    net, name = selection.feature_network(tiny_config(**SELECT), torch.device("cpu"))
    plain = net.forward_features
    samples = {"alike": _garments(64, 2), "blank": torch.full((64, 1, 28, 28), 128, dtype=torch.uint8)}
    monkeypatch.setattr(selection, "feature_network", lambda config, device: (net, name))
    monkeypatch.setattr(selection, "sample", lambda generator, seeds, labels, device: samples[generator])
    train, held = (ImageDataset(_garments(20, seed), torch.arange(20) % 4, list("abcd")) for seed in (0, 1))
    scores = []
    for feature_scale in (1.0, 1e-4):
        monkeypatch.setattr(net, "forward_features", lambda x, k=feature_scale: tuple(t * k for t in plain(x)))
        scorer = selection.HoldoutScorer.build(tiny_config(**SELECT), train, held, torch.device("cpu"))
        scores.append((scorer.score("alike")["holdout_kid"], scorer.score("blank")["holdout_kid"]))
    (alike, blank), (small_alike, small_blank) = scores
    assert blank > 0.05 and alike < blank / 5
    assert small_alike == pytest.approx(alike, rel=1e-3) and small_blank == pytest.approx(blank, rel=1e-3)
