from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from fashiongan.errors import UserError
from fashiongan.training import checkpoint as ckpt
from fashiongan.training.checkpoint import (
    TrainingProgress,
    load_progress,
    load_training_state,
    load_weights,
    resolve_checkpoint,
    save_checkpoint,
)


def small_nets() -> tuple[torch.nn.Module, torch.nn.Module]:
    return torch.nn.Linear(3, 2), torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))


def test_round_trip(tmp_path: Path):
    g, d = small_nets()
    progress = TrainingProgress(epoch=3, step=30, class_names=["x", "y"], best_fid=1.5)
    folder = save_checkpoint(tmp_path / "checkpoints" / "last", g, d, {"opt": {"lr": 0.1}, "t": torch.arange(3)},
                             progress)
    g2, d2 = small_nets()
    load_weights(g2, folder / ckpt.GENERATOR_FILE)
    load_weights(d2, folder / ckpt.DISCRIMINATOR_FILE)
    assert torch.equal(g.weight, g2.weight) and torch.equal(d[1].running_var, d2[1].running_var)
    assert load_progress(folder) == progress
    state = load_training_state(folder)
    assert state["opt"]["lr"] == 0.1 and torch.equal(state["t"], torch.arange(3))
    assert resolve_checkpoint(tmp_path, "last") == folder


def test_a_crash_during_save_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch):
    g, d = small_nets()
    folder = tmp_path / "checkpoints" / "last"
    save_checkpoint(folder, g, d, {}, TrainingProgress(epoch=1))
    real_replace = os.replace
    calls = {"n": 0}

    def crash_on_folder_swap(src, dst):
        if Path(dst) == folder:  # the final rename: simulate power loss just before it
            raise OSError("simulated crash")
        calls["n"] += 1
        return real_replace(src, dst)

    monkeypatch.setattr(ckpt.os, "replace", crash_on_folder_swap)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(folder, g, d, {}, TrainingProgress(epoch=2))
    monkeypatch.setattr(ckpt.os, "replace", real_replace)
    survivor = resolve_checkpoint(tmp_path, "last")  # 'last' was moved aside: its backup is found
    assert load_progress(survivor).epoch == 1
    save_checkpoint(folder, g, d, {}, TrainingProgress(epoch=2))  # the next save cleans up and succeeds
    assert load_progress(resolve_checkpoint(tmp_path, "last")).epoch == 2
    assert not any(p.name.startswith(".") for p in folder.parent.iterdir())


def test_missing_and_corrupt_checkpoints_are_user_errors(tmp_path: Path):
    with pytest.raises(UserError, match="run folder not found"):
        resolve_checkpoint(tmp_path / "nope")
    with pytest.raises(UserError, match="no 'last' checkpoint"):
        resolve_checkpoint(tmp_path)
    g, d = small_nets()
    folder = save_checkpoint(tmp_path / "checkpoints" / "last", g, d, {}, TrainingProgress())
    (folder / ckpt.GENERATOR_FILE).write_bytes(b"garbage")
    with pytest.raises(UserError, match="corrupt or not a safetensors file"):
        load_weights(g, folder / ckpt.GENERATOR_FILE)
    (folder / ckpt.TRAINING_STATE_FILE).write_bytes(b"garbage")
    with pytest.raises(UserError, match="corrupt"):
        load_training_state(folder)


def test_weights_of_another_shape_are_a_user_error(tmp_path: Path):
    g, d = small_nets()
    folder = save_checkpoint(tmp_path / "c" / "last", g, d, {}, TrainingProgress())
    with pytest.raises(UserError, match="do not match the model"):
        load_weights(torch.nn.Linear(5, 2), folder / ckpt.GENERATOR_FILE)
