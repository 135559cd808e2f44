from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from fashiongan.errors import UserError
from fashiongan.run import checkpoint as ckpt
from fashiongan.run.checkpoint import (
    TrainingProgress,
    load_module,
    load_progress,
    load_training_state,
    resolve_checkpoint,
    save_checkpoint,
)


def small_nets() -> dict[str, torch.nn.Module]:
    return {"generator": torch.nn.Linear(3, 2),
            "discriminator": torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)),
            "generator_ema": torch.nn.Linear(3, 2)}


def test_round_trip_with_every_named_module(tmp_path: Path):
    nets = small_nets()
    with torch.no_grad():
        nets["discriminator"][1].running_var.fill_(3.0)
    progress = TrainingProgress(epoch=3, step=30, class_names=["x", "y"], best_fid=1.5)
    folder = save_checkpoint(tmp_path / "checkpoints" / "last", nets, {"opt": {"lr": 0.1}, "t": torch.arange(3)},
                             progress)
    fresh = small_nets()
    for name, module in fresh.items():
        load_module(module, folder, name)
        for (key, a), b in zip(nets[name].state_dict().items(), module.state_dict().values(), strict=True):
            assert torch.equal(a, b), f"{name}.{key}"
    saved = load_progress(folder)
    assert (saved.epoch, saved.step, saved.class_names, saved.best_fid) == (3, 30, ["x", "y"], 1.5)
    assert saved.modules == ["generator", "discriminator", "generator_ema"]
    assert set(saved.files) == {"generator.safetensors", "discriminator.safetensors", "generator_ema.safetensors",
                                "training-state.pt"}
    state = load_training_state(folder)
    assert state["opt"]["lr"] == pytest.approx(0.1) and torch.equal(state["t"], torch.arange(3))
    assert resolve_checkpoint(tmp_path, "last") == folder


def test_a_crash_during_save_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch):
    nets = small_nets()
    folder = tmp_path / "checkpoints" / "last"
    save_checkpoint(folder, nets, {}, TrainingProgress(epoch=1))
    real_replace = os.replace
    calls = {"n": 0}

    def crash_on_folder_swap(src, dst):
        if Path(dst) == folder:  # the final rename: simulate power loss just before it
            raise OSError("simulated crash")
        calls["n"] += 1
        return real_replace(src, dst)

    monkeypatch.setattr(ckpt.os, "replace", crash_on_folder_swap)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(folder, nets, {}, TrainingProgress(epoch=2))
    monkeypatch.setattr(ckpt.os, "replace", real_replace)
    survivor = resolve_checkpoint(tmp_path, "last")  # 'last' was moved aside: its backup is found
    assert load_progress(survivor).epoch == 1
    save_checkpoint(folder, nets, {}, TrainingProgress(epoch=2))  # the next save cleans up and succeeds
    assert load_progress(resolve_checkpoint(tmp_path, "last")).epoch == 2
    assert not any(p.name.startswith(".") for p in folder.parent.iterdir())


def test_missing_and_corrupt_checkpoints_are_user_errors(tmp_path: Path):
    with pytest.raises(UserError, match="run folder not found"):
        resolve_checkpoint(tmp_path / "nope")
    with pytest.raises(UserError, match="no 'last' checkpoint"):
        resolve_checkpoint(tmp_path)
    nets = small_nets()
    folder = save_checkpoint(tmp_path / "checkpoints" / "last", nets, {}, TrainingProgress())
    (folder / "generator.safetensors").write_bytes(b"garbage")
    with pytest.raises(UserError, match="does not match the checksum"):
        load_module(nets["generator"], folder, "generator")
    (folder / ckpt.TRAINING_STATE_FILE).write_bytes(b"garbage")
    with pytest.raises(UserError, match="does not match the checksum"):
        load_training_state(folder)


def test_flipped_bytes_inside_a_valid_weights_file_are_caught(tmp_path: Path):
    nets = small_nets()
    folder = save_checkpoint(tmp_path / "checkpoints" / "last", nets, {}, TrainingProgress())
    path = folder / "generator.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # inside the last weight: still a valid safetensors file
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="damaged"):
        load_module(small_nets()["generator"], folder, "generator")


@pytest.mark.parametrize(("content", "message"), [
    ("{}", "no epoch/step counters"),
    ('{"epoch": "3", "step": 1}', "epoch must be a non-negative integer"),
    ('"text"', "must be a JSON object"),
    ('{"epoch": 1, "step": 1, "class_names": "abc"}', "class_names must be a list of strings"),
    ('{"epoch": 1, "step": 1, "warp": 9}', "unexpected fields"),
])
def test_a_hand_edited_state_json_is_a_clear_error(tmp_path: Path, content: str, message: str):
    folder = save_checkpoint(tmp_path / "checkpoints" / "last", small_nets(), {}, TrainingProgress(epoch=1))
    (folder / "state.json").write_text(content)
    with pytest.raises(UserError, match=message):
        load_progress(folder)


def test_a_corrupt_last_falls_back_to_a_whole_previous_copy(tmp_path: Path):
    checkpoints = tmp_path / "checkpoints"
    save_checkpoint(checkpoints / "last", small_nets(), {}, TrainingProgress(epoch=1, step=5))
    (checkpoints / ".last.old").mkdir()
    for f in (checkpoints / "last").iterdir():
        (checkpoints / ".last.old" / f.name).write_bytes(f.read_bytes())
    (checkpoints / "last" / "state.json").write_text("{")
    assert resolve_checkpoint(tmp_path, "last") == checkpoints / ".last.old"


def test_compiled_or_ddp_prefixes_are_stripped_on_save_and_load(tmp_path: Path):
    plain = torch.nn.Linear(3, 2)
    wrapped = torch.nn.Module()
    wrapped._orig_mod = plain  # what torch.compile's OptimizedModule looks like to state_dict
    folder = save_checkpoint(tmp_path / "last", {"generator": wrapped}, {}, TrainingProgress())
    assert set(ckpt.load_tensors(folder / "generator.safetensors")) == {"weight", "bias"}
    target = torch.nn.Linear(3, 2)
    load_module(target, folder, "generator")
    assert torch.equal(target.weight, plain.weight)


def test_weights_of_another_shape_are_a_user_error(tmp_path: Path):
    folder = save_checkpoint(tmp_path / "c" / "last", small_nets(), {}, TrainingProgress())
    with pytest.raises(UserError, match=r"'weight' is \(2, 3\) in the file but \(2, 5\) in the model"):
        load_module(torch.nn.Linear(5, 2), folder, "generator")
    with pytest.raises(UserError, match="missing '0.bias'; 2 missing, 2 unexpected"):
        load_module(torch.nn.Sequential(torch.nn.Linear(3, 2)), folder, "generator")
