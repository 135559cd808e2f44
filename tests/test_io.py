from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from fashiongan import io
from fashiongan.errors import UserError


def test_atomic_write_replaces_whole_files(tmp_path: Path):
    target = tmp_path / "a" / "file.json"
    io.write_json(target, {"x": 1})
    io.write_json(target, {"x": 2})
    assert io.read_json(target) == {"x": 2}
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_a_crash_before_the_rename_keeps_the_old_file_and_no_temp(tmp_path: Path, monkeypatch):
    target = tmp_path / "file.txt"
    io.atomic_write_text(target, "old")
    monkeypatch.setattr(io.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("crash")))
    with pytest.raises(OSError):
        io.atomic_write_text(target, "new")
    monkeypatch.setattr(io.os, "replace", os.replace)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_read_json_errors(tmp_path: Path):
    with pytest.raises(UserError, match="not found"):
        io.read_json(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        io.read_json(tmp_path / "bad.json")


def test_jsonl_skips_a_torn_last_line(tmp_path: Path):
    path = tmp_path / "m.jsonl"
    io.append_jsonl(path, {"epoch": 1})
    io.append_jsonl(path, {"epoch": 2})
    with open(path, "a") as f:
        f.write('{"epoch": 3, "d_lo')
    assert [r["epoch"] for r in io.read_jsonl(path)] == [1, 2]


def test_tensor_round_trip_and_sha(tmp_path: Path):
    path = tmp_path / "w.safetensors"
    io.save_tensors(path, {"a": torch.arange(4.0)}, metadata={"k": "v"})
    assert torch.equal(io.load_tensors(path)["a"], torch.arange(4.0))
    assert len(io.sha256_file(path)) == 64
    state_path = tmp_path / "s.pt"
    io.save_torch_state(state_path, {"x": torch.ones(2), "n": 3})
    assert io.load_torch_state(state_path)["n"] == 3


def test_atomic_files_get_the_usual_permissions(tmp_path: Path):
    path = tmp_path / "f.txt"
    io.atomic_write_text(path, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
