"""Read generated images from an .npz file, so any generator can be measured on the same scale.

The format is the one ``fashiongan generate --npz`` writes: ``images`` uint8 (N, H, W) or
(N, H, W, 3), and optionally ``labels``, integer (N,), the class each image was asked to show.
Every way such a file can be wrong is a one-line ``UserError``; nothing is ever unpickled.
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch

from fashiongan.errors import UserError

FORMAT_HINT = "save it with np.savez(FILE, images=uint8 (N, H, W) or (N, H, W, 3), labels=int (N,))"


NPY_MAGIC = b"\x93NUMPY"


def _declared_bytes(member, name: str, path: Path) -> int:
    """The bytes an .npy member's header says its array holds (read from the header alone)."""
    try:
        version = np.lib.format.read_magic(member)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0  # 2.0 and 3.0 differ only in the header's text encoding
        shape, _, dtype = read_header(member)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise UserError(f"{path} is not a readable .npz file ({name}: {exc})") from None
    return math.prod(shape) * dtype.itemsize


def _check_sizes(path: Path) -> None:
    """Refuse an array whose header claims more data than its member holds, or than this machine's memory.

    numpy allocates what the header says before it reads a byte: a 100-byte file claiming 10^12 elements
    would ask for 931 GiB. The header is small, so it is read and checked first.
    """
    with path.open("rb") as f:
        if f.read(len(NPY_MAGIC)) == NPY_MAGIC:
            raise UserError(f"{path} is a single .npy array, not an .npz archive; {FORMAT_HINT}")
    if not zipfile.is_zipfile(path):
        return  # np.load says what it is
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename not in ("images.npy", "labels.npy"):
                continue
            with archive.open(info) as member:
                claimed = _declared_bytes(member, info.filename, path)
            if claimed > info.file_size or (memory and claimed > memory // 2):
                raise UserError(f"{path}: {info.filename} claims {claimed:,} bytes of data but holds "
                                f"{info.file_size:,}; the file is corrupt or not made by np.savez")


def _open(path: Path) -> np.lib.npyio.NpzFile:
    try:
        _check_sizes(path)
    except (OSError, zipfile.BadZipFile, zlib.error) as exc:
        raise UserError(f"{path} is not a readable .npz file ({type(exc).__name__}: {exc})") from None
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError:  # numpy's guess for a file that is neither .npy nor .npz is a pickle
        raise UserError(f"{path} is not a readable .npz file (not a zip archive of arrays)") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:  # truncated or corrupt
        raise UserError(f"{path} is not a readable .npz file ({type(exc).__name__}: {exc})") from None
    if isinstance(archive, np.ndarray):
        raise UserError(f"{path} is a single .npy array, not an .npz archive; {FORMAT_HINT}")
    return archive


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    with _open(path) as archive:
        if "images" not in archive.files:
            found = ", ".join(archive.files) or "nothing"
            raise UserError(f"{path} has no `images` array (found: {found}); {FORMAT_HINT}")
        try:
            return {name: archive[name] for name in ("images", "labels") if name in archive.files}
        except ValueError as exc:
            if "allow_pickle" in str(exc):
                raise UserError(
                    f"{path} holds Python objects, which are never unpickled; {FORMAT_HINT}"
                ) from None
            raise UserError(f"{path} is not a readable .npz file ({exc})") from None
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, zlib.error) as exc:  # a corrupt member
            raise UserError(f"{path} is not a readable .npz file ({type(exc).__name__}: {exc})") from None


def _check_images(images: np.ndarray, path: Path) -> torch.Tensor:
    if images.dtype != np.uint8:
        raise UserError(f"`images` in {path} must be uint8 (0..255); got {images.dtype}")
    if images.ndim == 3:
        images = images[:, None, :, :]
    elif images.ndim == 4 and images.shape[-1] in (1, 3):
        images = images.transpose(0, 3, 1, 2)
    else:
        raise UserError(f"`images` in {path} must have shape (N, H, W) or (N, H, W, 3); got {images.shape}")
    if images.shape[0] == 0:
        raise UserError(f"`images` in {path} holds no images")
    return torch.from_numpy(np.ascontiguousarray(images))


def _check_labels(labels: np.ndarray, n: int, path: Path) -> torch.Tensor:
    if labels.dtype.kind not in "iu":
        raise UserError(f"`labels` in {path} must be integers (class indices); got {labels.dtype}")
    if labels.shape != (n,):
        raise UserError(f"`labels` in {path} must have shape ({n},), one per image; got {labels.shape}")
    if labels.size and labels.min() < 0:
        raise UserError(f"`labels` in {path} must be class indices >= 0; found {labels.min()}")
    return torch.from_numpy(labels.astype(np.int64))


def load_samples(path: str | Path) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Images as uint8 (N, C, H, W) and labels as int64 (N,) or None, from an .npz file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"samples file not found: {path}")
    arrays = _read_arrays(path)
    images = _check_images(arrays["images"], path)
    labels = _check_labels(arrays["labels"], images.shape[0], path) if "labels" in arrays else None
    return images, labels


def check_labels_range(labels: torch.Tensor | None, num_classes: int, source: str) -> None:
    """Labels must index the evaluator's classes 0..K-1."""
    if labels is not None and labels.numel() and int(labels.max()) >= num_classes:
        raise UserError(
            f"labels in {source} go up to {int(labels.max())}, but the evaluator knows {num_classes} classes "
            f"(0..{num_classes - 1})"
        )
