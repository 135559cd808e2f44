from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import torch
from safetensors import SafetensorError

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
    with pytest.raises(UserError, match="cannot write .*file.txt: crash"):
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


def test_jsonl_skips_a_torn_last_line(tmp_path: Path, fashiongan_caplog):
    path = tmp_path / "m.jsonl"
    io.append_jsonl(path, {"epoch": 1})
    io.append_jsonl(path, {"epoch": 2})
    with open(path, "a") as f:
        f.write('{"epoch": 3, "d_lo')
    assert [r["epoch"] for r in io.read_jsonl(path)] == [1, 2]
    assert "skipping line 3 of" in fashiongan_caplog.text


def test_append_after_a_torn_line_starts_a_fresh_line(tmp_path: Path, fashiongan_caplog):
    path = tmp_path / "m.jsonl"
    io.append_jsonl(path, {"epoch": 1})
    with open(path, "a") as f:
        f.write('{"epoch": 2, "d_lo')  # a crash mid-write
    io.append_jsonl(path, {"epoch": 2})
    io.append_jsonl(path, {"epoch": 3})
    assert [r["epoch"] for r in io.read_jsonl(path)] == [1, 2, 3]
    assert path.read_text().splitlines()[1] == '{"epoch": 2, "d_lo'
    assert "skipping line 2 of" in fashiongan_caplog.text


def test_read_jsonl_skips_garbage_and_non_objects(tmp_path: Path, fashiongan_caplog):
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"epoch": 1}\n[1, 2]\n\xff\xfe\n\n{"epoch": 2}\n')
    assert [r["epoch"] for r in io.read_jsonl(path)] == [1, 2]
    assert fashiongan_caplog.text.count("skipping line") == 2


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


DISK_FULL_SAFETENSORS = 'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left" })'


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_disk_full_in_save_tensors_is_one_line_and_keeps_the_old_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "w.safetensors"
    io.save_tensors(path, {"a": torch.zeros(2)})
    old = path.read_bytes()

    def full_disk(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"partial")
        raise SafetensorError(DISK_FULL_SAFETENSORS)

    monkeypatch.setattr(io, "save_file", full_disk)
    with pytest.raises(UserError, match=r"^cannot write .*w\.safetensors: the disk is full"):
        io.save_tensors(path, {"a": torch.ones(2)})
    assert path.read_bytes() == old
    assert _no_temp_files(tmp_path)


@pytest.mark.parametrize(
    "message",
    ["[enforce fail at inline_container.cc:778] . unexpected pos 64 vs 0",
     "[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing file data/0: file write failed"],
)
def test_disk_full_in_torch_save_is_one_line(tmp_path: Path, monkeypatch, message: str):
    def full_disk(obj, f):
        Path(f).write_bytes(b"partial")
        raise RuntimeError(message)

    monkeypatch.setattr(io.torch, "save", full_disk)
    with pytest.raises(UserError, match=r"cannot write .*opt\.pt: the disk is full"):
        io.save_torch_state(tmp_path / "opt.pt", {"x": 1})
    assert list(tmp_path.iterdir()) == []


def test_other_runtime_errors_are_not_disguised(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(io.torch, "save", lambda obj, f: (_ for _ in ()).throw(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        io.save_torch_state(tmp_path / "opt.pt", {"x": 1})
    assert list(tmp_path.iterdir()) == []


def test_oserror_28_while_writing(tmp_path: Path):
    full = r"cannot write .*x\.bin: the disk is full \(no space left on device\)$"
    with pytest.raises(UserError, match=full), io.atomic_path(tmp_path / "x.bin") as tmp:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_writing_onto_a_folder_or_under_a_file(tmp_path: Path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(UserError, match="it is a folder"):
        io.write_json(tmp_path / "dir", {})
    (tmp_path / "file").write_text("mine")
    with pytest.raises(UserError, match="is a file, not a folder"):
        io.write_json(tmp_path / "file" / "x.json", {})
    assert (tmp_path / "file").read_text() == "mine"
    with pytest.raises(UserError, match="is a folder"):
        io.check_writable_file(tmp_path / "dir")
    with pytest.raises(UserError, match="is a file, not a folder"):
        io.check_writable_folder(tmp_path / "file")
    with pytest.raises(UserError, match="is a file, not a folder"):
        io.check_writable_folder(tmp_path / "file" / "sub")


def test_read_only_folder(tmp_path: Path, read_only):
    folder = read_only(tmp_path / "ro")
    with pytest.raises(UserError, match=r"cannot write in .*ro.*: permission denied"):
        io.check_writable_folder(folder / "new" / "deeper")
    with pytest.raises(UserError, match=r"cannot write .*x\.json: permission denied"):
        io.write_json(folder / "x.json", {})
    assert list(folder.iterdir()) == []
    io.check_writable_folder(tmp_path / "elsewhere" / "new")  # creatable: fine, and nothing is made
    assert not (tmp_path / "elsewhere").exists()
