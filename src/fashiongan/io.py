"""Atomic file writes, JSON/JSONL helpers, safetensors save/load and file hashing.

Every file a run depends on is written to a temporary file in the same folder and then
moved into place with ``os.replace``, so a crash leaves either the old file or the new
one, never half of one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from fashiongan.errors import UserError

log = logging.getLogger(__name__)


# torch.save reports a failed write as a RuntimeError whose text names its C++ stream writer
_TORCH_WRITE_FAILURE = ("unexpected pos", "PytorchStreamWriter", "file write failed", "open file failed")
_REASONS = {
    errno.ENOSPC: "the disk is full (no space left on device)",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder",
    errno.ENOTDIR: "a parent of it is a file, not a folder",
    errno.EEXIST: "a parent of it is a file, not a folder",  # what mkdir says then
    errno.ENAMETOOLONG: "the name is too long",
}


def write_failure_reason(exc: BaseException) -> str | None:
    """A short reason if ``exc`` is a failed write (disk full, read-only, ...), else None.

    Covers OSError, safetensors' ``SafetensorError`` (which carries the OS error only as text, e.g.
    "os error 28") and torch.save's RuntimeError ("unexpected pos ...", "file write failed").
    """
    if isinstance(exc, OSError):
        return _REASONS.get(exc.errno, exc.strerror or str(exc) or type(exc).__name__)
    text = str(exc)
    if isinstance(exc, SafetensorError):
        match = re.search(r"os error (\d+)", text) or re.search(r"code: (\d+)", text)
        if match:
            code = int(match.group(1))
            return _REASONS.get(code, os.strerror(code))
        return text
    if isinstance(exc, RuntimeError) and any(words in text for words in _TORCH_WRITE_FAILURE):
        if "unexpected pos" in text or "file write failed" in text:
            return _REASONS[errno.ENOSPC] + " or the write was cut short"
        return text
    return None


def write_error(path: str | Path, exc: BaseException) -> UserError:
    """The one-line ``UserError`` for a failed write of ``path``."""
    return UserError(f"cannot write {path}: {write_failure_reason(exc) or exc}")


def make_temp(folder: Path, name: str) -> Path:
    """Create an empty hidden temporary file in ``folder`` (the one place atomic writes create files)."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def _nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and not path.is_symlink() and path != path.parent:
        path = path.parent
    return path


def check_writable_folder(folder: str | Path, what: str = "output folder") -> None:
    """Raise a ``UserError`` now, before long work, if files cannot be created in ``folder``.

    ``folder`` need not exist yet: its nearest existing ancestor must be a folder that accepts a new
    file (tried for real with a temporary file, which also catches read-only mounts).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{what} {folder} is a file, not a folder")
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise UserError(f"cannot write {folder}: {existing} is a file, not a folder")
    try:
        make_temp(existing, "fashiongan-write-check").unlink()
    except OSError as exc:
        raise UserError(f"cannot write in {existing} ({what} {folder}): {write_failure_reason(exc)}") from None


def check_writable_file(path: str | Path, what: str = "output file") -> None:
    """Raise a ``UserError`` now if ``path`` cannot be written: it is a folder, or its folder is not writable."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder; give a file path")
    check_writable_folder(path.parent, what=f"the folder of {what} {path}")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    A failed write (disk full, read-only folder, ``path`` is a folder, ...) becomes a one-line
    ``UserError`` naming ``path``, and the temporary file is removed: no partial file is left behind.
    """
    path = Path(path)
    if path.is_dir():
        raise UserError(f"cannot write {path}: it is a folder")
    tmp_path = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = make_temp(path.parent, path.name)
        yield tmp_path
        with open(tmp_path, "rb+") as f:  # make the bytes durable before the rename
            os.fsync(f.fileno())
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp_path, path)
    except (OSError, SafetensorError, RuntimeError) as exc:
        if write_failure_reason(exc) is None:
            raise
        raise write_error(path, exc) from None
    finally:
        if tmp_path is not None and (tmp_path.exists() or tmp_path.is_symlink()):
            with suppress(OSError):
                tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def read_json(path: str | Path, what: str = "file") -> Any:
    """Read a JSON file, turning a missing or corrupt file into a ``UserError``."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} not found: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{what} {path} is not valid JSON ({exc})") from None


def append_jsonl(path: str | Path, record: dict[str, Any]) -> None:
    """Append one JSON line (appends are small, so a crash loses at most that line).

    If the file does not end with a newline (a line torn by a crash), the record starts on a fresh
    line, so it is not glued to the torn one and lost with it.
    """
    line = (json.dumps(record) + "\n").encode("utf-8")
    try:
        with open(path, "a+b") as f:  # appends always go to the end; reading finds the last byte
            end = f.seek(0, os.SEEK_END)
            if end:
                f.seek(end - 1)
                if f.read(1) != b"\n":
                    line = b"\n" + line
            f.write(line)
    except OSError as exc:
        raise write_error(path, exc) from None


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL file of objects; a torn or invalid line (a crash mid-write) is skipped with a warning."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        line = raw.decode("utf-8", errors="replace")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            log.warning("skipping line %d of %s: not a complete JSON record (torn by a crash?)", number, path)
            continue
        records.append(record)
    return records


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Save tensors as safetensors, atomically."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)


def load_tensors(path: str | Path, what: str = "weights file") -> dict[str, torch.Tensor]:
    """Load a safetensors file (never unpickles), with a ``UserError`` if it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} not found: {path}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise UserError(f"{what} {path} is corrupt or not a safetensors file ({exc})") from None


def save_torch_state(path: str | Path, state: Any) -> None:
    """Save nested tensors/numbers (e.g. optimizer state) with torch.save, atomically."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_torch_state(path: str | Path, what: str = "state file") -> Any:
    """Load a torch.save file with ``weights_only=True``: plain tensors and containers, no code."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt file
        raise UserError(f"{what} {path} is corrupt ({type(exc).__name__})") from None


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
