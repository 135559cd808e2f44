"""Image grids: uint8 tensors in, a uint8 numpy array or a PNG out (Pillow, no torchvision)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fashiongan.io import atomic_path


def make_grid(images: torch.Tensor, nrow: int, padding: int = 2, pad_value: int = 255) -> np.ndarray:
    """Tile uint8 images (N, C, H, W) into rows of ``nrow``.

    Returns uint8 (H', W') for one channel or (H', W', 3) for three; cells past N stay ``pad_value``.
    """
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise ValueError(f"make_grid wants uint8 (N, C, H, W); got {images.dtype} {tuple(images.shape)}")
    n, c, h, w = images.shape
    nrow = max(1, min(nrow, n))
    ncol_rows = max(1, math.ceil(n / nrow))
    grid = np.full(
        (c, ncol_rows * (h + padding) + padding, nrow * (w + padding) + padding), pad_value, dtype=np.uint8
    )
    array = images.cpu().numpy()
    for i in range(n):
        row, col = divmod(i, nrow)
        top, left = padding + row * (h + padding), padding + col * (w + padding)
        grid[:, top : top + h, left : left + w] = array[i]
    return grid[0] if c == 1 else grid.transpose(1, 2, 0)


def to_pil(grid: np.ndarray) -> Image.Image:
    return Image.fromarray(grid, mode="L" if grid.ndim == 2 else "RGB")


def save_grid(images: torch.Tensor, path: str | Path, nrow: int, padding: int = 2, scale: int = 1) -> Path:
    """Save a grid PNG atomically; ``scale`` enlarges small images (nearest neighbour) for viewing."""
    picture = to_pil(make_grid(images, nrow, padding))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    path = Path(path)
    with atomic_path(path) as tmp:
        picture.save(tmp, format="PNG")
    return path
