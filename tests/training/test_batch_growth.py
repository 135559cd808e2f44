"""A batch that grows from --batch-start to --batch-size: the schedule, the loop, exact resume."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import torch

from fashiongan.config import TrainConfig
from fashiongan.errors import UserError
from fashiongan.io import load_tensors, read_jsonl
from fashiongan.training.loop import train
from fashiongan.training.schedule import batch_units, first_batch, growth_lr_factor

from .conftest import tiny_config

# 40 images in batches of 8; the batch doubles to 16 once 16 images were seen
GROWING = {"train.batch_start": 8, "train.batch_size": 16, "train.batch_double_kimg": 0.016}


@pytest.mark.parametrize(("images_seen", "units"), [(0, 1), (99, 1), (100, 2), (199, 2), (200, 4), (10_000, 4)])
def test_the_batch_doubles_every_so_many_images_up_to_the_full_batch(images_seen, units):
    train = TrainConfig(batch_size=64, batch_start=16, batch_double_kimg=0.1)
    assert batch_units(train, images_seen) == units


@pytest.mark.parametrize("batch_start", [0, 64, 128])
def test_without_a_smaller_start_size_every_step_is_one_full_batch(batch_start):
    train = TrainConfig(batch_size=64, batch_start=batch_start)
    assert first_batch(train) == 64 and batch_units(train, 0) == batch_units(train, 10**9) == 1


@pytest.mark.parametrize(("images_seen", "factor"), [(0, 4.0), (99, 4.0), (100, 2.0), (200, 1.0), (10_000, 1.0)])
def test_the_start_factor_falls_geometrically_to_one_as_the_batch_doubles(images_seen, factor):
    train = TrainConfig(batch_size=64, batch_start=16, batch_double_kimg=0.1, lr_start_factor=4.0)
    assert growth_lr_factor(train, images_seen) == pytest.approx(factor)


def test_without_a_start_factor_the_rates_stay_put():
    assert growth_lr_factor(TrainConfig(batch_size=64, batch_start=16), 0) == pytest.approx(1.0)


@pytest.mark.parametrize(("double_kimg", "factor"), [(1000.0, 4.0), (0.016, 1.0)])
def test_the_loop_trains_at_the_boosted_rate_while_the_batch_is_small_and_returns_to_the_set_one(
        tmp_path: Path, tiny_data, double_kimg, factor):
    config = tiny_config(**(GROWING | {"train.batch_double_kimg": double_kimg, "train.lr_start_factor": 4.0}))
    result = train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    last = read_jsonl(result.run_dir / "metrics.jsonl")[-1]
    assert last["lr_g"] == pytest.approx(2e-4 * factor) and last["lr_d"] == pytest.approx(2e-4 * factor)


def test_a_start_factor_without_a_growing_batch_is_refused(tmp_path: Path, tiny_data):
    with pytest.raises(UserError, match="--lr-start-factor 3 acts while the batch grows"):
        train(tiny_config(**{"train.lr_start_factor": 3.0}), tmp_path / "run", data=tiny_data, progress_bar=False)


def test_a_start_size_that_does_not_divide_the_batch_is_refused(tmp_path: Path, tiny_data):
    with pytest.raises(UserError, match="--batch-start 12 must divide --batch-size 16.*--batch-start 0"):
        train(tiny_config(**{"train.batch_start": 12}), tmp_path / "run", data=tiny_data, progress_bar=False)


def test_the_loop_takes_small_steps_first_and_counts_every_image(tmp_path: Path, tiny_data):
    result = train(tiny_config(**GROWING), tmp_path / "run", data=tiny_data, progress_bar=False)
    records = read_jsonl(result.run_dir / "metrics.jsonl")
    # epoch 1: steps of 8, 8, 16 and the epoch's last 8 images; epoch 2: 16, 16, 8
    assert [r["step"] for r in records] == [4, 7]
    assert [r["batches"] for r in records] == [5, 5]
    state = json.loads((result.run_dir / "checkpoints" / "last" / "state.json").read_text())
    assert state["images_seen"] == 80


@pytest.mark.parametrize("lr_start_factor", [1.0, 4.0])
def test_a_growing_batch_resumes_exactly_after_ctrl_c(tmp_path: Path, tiny_data, lr_start_factor):
    config = tiny_config(**GROWING, **{"train.epochs": 3, "train.lr_start_factor": lr_start_factor})
    train(config, tmp_path / "straight", data=tiny_data, progress_bar=False)

    def interrupt_at_step_five(step: int) -> None:
        if step == 5:  # mid epoch 2, after a step of two joined batches
            signal.raise_signal(signal.SIGINT)

    assert train(config, tmp_path / "cut", data=tiny_data, progress_bar=False,
                 on_step=interrupt_at_step_five).interrupted
    state = json.loads((tmp_path / "cut" / "checkpoints" / "last" / "state.json").read_text())
    assert state["step"] == 5 and state["batch_in_epoch"] == 2
    train(config, tmp_path / "cut", data=tiny_data, resume=True, progress_bar=False)
    for name in ("generator", "discriminator"):
        straight = load_tensors(tmp_path / "straight" / "checkpoints" / "last" / f"{name}.safetensors")
        resumed = load_tensors(tmp_path / "cut" / "checkpoints" / "last" / f"{name}.safetensors")
        assert all(torch.equal(straight[k], resumed[k]) for k in straight), name
    last = read_jsonl(tmp_path / "cut" / "metrics.jsonl")[-1]
    assert last["d_loss"] == pytest.approx(read_jsonl(tmp_path / "straight" / "metrics.jsonl")[-1]["d_loss"],
                                           rel=1e-9)
