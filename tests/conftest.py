"""Shared fixtures: a private cache folder for every test, and tiny datasets built on the fly."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point FASHIONGAN_CACHE at a temporary folder so no test writes into the real user cache."""
    cache = tmp_path_factory.mktemp("fashiongan-cache")
    old = os.environ.get("FASHIONGAN_CACHE")
    os.environ["FASHIONGAN_CACHE"] = str(cache)  # also inherited by CLI subprocesses
    yield cache
    if old is None:
        os.environ.pop("FASHIONGAN_CACHE", None)
    else:
        os.environ["FASHIONGAN_CACHE"] = old


def _write_idx(path: Path, array: np.ndarray, magic: int | None = None, compress: bool | None = None) -> Path:
    """Write a uint8 array as an IDX file (magic 2049 for 1-D, 2051 for 3-D unless given)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    data = header + array.tobytes()
    compress = path.suffix == ".gz" if compress is None else compress
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def write_idx() -> Callable[..., Path]:
    """``write_idx(path, array, magic=None, compress=None)``: a tiny IDX writer for tests."""
    return _write_idx


@pytest.fixture
def tiny_fashion_mnist_dir(tmp_path: Path) -> Path:
    """A folder shaped like Fashion-MNIST: 20 train and 10 test random 28x28 images, labels 0..9."""
    folder = tmp_path / "tiny-fmnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 20), ("t10k", 10)):
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return folder


TINY_CLASSES = ("bags", "dresses", "shoes")


@pytest.fixture
def tiny_image_folder(tmp_path: Path) -> Path:
    """ROOT/<class>/<image>.png: 3 classes x 4 small RGB PNGs of different sizes (none square but one)."""
    root = tmp_path / "tiny-images"
    rng = np.random.default_rng(0)
    sizes = [(12, 12), (16, 10), (9, 14), (20, 17)]  # (width, height)
    for class_index, name in enumerate(TINY_CLASSES):
        (root / name).mkdir(parents=True)
        for i, (w, h) in enumerate(sizes):
            pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            pixels[..., class_index] = 255  # each class leans to one colour channel
            Image.fromarray(pixels, "RGB").save(root / name / f"{i}.png")
    return root
