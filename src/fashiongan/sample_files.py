"""Write generated images to disk chunk by chunk: a streamed .npz, or a folder of PNGs.

``fashiongan generate --n 1000000`` must not hold a million images in memory: images arrive as an
iterator of (images, labels) chunks and go straight to disk. The .npz is written member by member
into a zip file (``np.load`` reads it like any ``np.savez_compressed`` output), atomically.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch

from fashiongan.errors import UserError
from fashiongan.io import atomic_path
from fashiongan.text import printable

Chunk = tuple[torch.Tensor, torch.Tensor | None]  # uint8 images (B, C, H, W), int64 labels (B,) or None


def _to_hwc(images: torch.Tensor) -> np.ndarray:
    """uint8 (B, H, W) for gray, (B, H, W, 3) for RGB: the documented .npz layout."""
    array = images.numpy()
    return np.ascontiguousarray(array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1))


def _npy_header(file, dtype: np.dtype, shape: tuple[int, ...]) -> None:
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_2_0(file, header)


def write_npz(path: str | Path, chunks: Iterable[Chunk], n: int, image_shape: tuple[int, int, int]) -> int:
    """Stream ``n`` images into ``path``: ``images`` uint8 (N, H, W) or (N, H, W, 3), ``labels`` int64 (N,).

    ``image_shape`` is (C, H, W). Labels (8 bytes an image) are kept until the images are written; the
    images never are. Returns the number of images written; fewer than ``n`` chunks is a bug.
    """
    channels, height, width = image_shape
    shape = (n, height, width) if channels == 1 else (n, height, width, channels)
    labels: list[np.ndarray] = []
    written = 0
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with archive.open("images.npy", "w", force_zip64=True) as member:
            _npy_header(member, np.uint8, shape)
            for images, chunk_labels in chunks:
                member.write(_to_hwc(images).tobytes())
                written += images.shape[0]
                if chunk_labels is not None:
                    labels.append(chunk_labels.numpy().astype(np.int64))
        if written != n:
            raise RuntimeError(f"expected {n} images, got {written}")  # an internal error, not a write failure
        if labels:
            with archive.open("labels.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.concatenate(labels), version=(2, 0))
    return written


def slug(name: str) -> str:
    """A class name as a safe file-name part: lower case, runs of other characters as one dash."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "class"


class PngNames:
    """The file name of image i: <class>_<index>.png for a conditional model, image_<index>.png otherwise.

    Names are made on demand, so a folder of a million images never holds a million names.
    """

    def __init__(self, n: int, label_of: Callable[[int], int] | None, class_names: list[str]):
        self.n, self.label_of, self.slugs = n, label_of, [slug(name) for name in class_names]

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> str:
        prefix = "image" if self.label_of is None else self.slugs[self.label_of(i)]
        return f"{prefix}_{i:05d}.png"

    def ours(self, name: str) -> bool:
        """True if ``name`` is one of the n names (checked from the name, not by listing all n)."""
        match = re.fullmatch(r".+_(\d{5,})\.png", name)
        return match is not None and int(match.group(1)) < self.n and self[int(match.group(1))] == name


def check_folder_free(out: Path, names: PngNames) -> None:
    """Refuse (before any work) when a file we would write already exists in ``out``."""
    if not out.is_dir():
        return
    clash = next((entry.name for entry in sorted(out.iterdir()) if names.ours(entry.name)), None)
    if clash is not None:
        raise UserError(f"{printable(out / clash)} already exists; pass --force to overwrite it")


def write_png_folder(out: Path, chunks: Iterable[Chunk], names: PngNames) -> int:
    """One PNG per image into ``out`` (created if needed); returns how many were written.

    A failure part-way (disk full, ...) says how many files were written before it.
    """
    from fashiongan.viz.grids import save_grid

    written = 0
    try:
        out.mkdir(parents=True, exist_ok=True)
        for images, _ in chunks:
            for image in images:
                save_grid(image.unsqueeze(0), out / names[written], nrow=1, padding=0)
                written += 1
    except OSError as exc:
        from fashiongan.io import write_error

        raise UserError(f"{write_error(out, exc)}; {written} of {len(names)} images were written") from None
    except UserError as exc:
        where = printable(out)
        raise UserError(f"{exc}; {written} of {len(names)} images were written to {where} before that") from None
    return written
