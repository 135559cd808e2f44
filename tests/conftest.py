"""Shared fixtures: a private cache folder for every test, and tiny datasets built on the fly."""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

# The test models are tiny: one thread is faster, and immune to OpenMP spinning on a busy machine.
torch.set_num_threads(1)


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


@pytest.fixture
def fashiongan_caplog(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> pytest.LogCaptureFixture:
    """``caplog`` that sees the "fashiongan" logger even after ``cli.main`` turned off its propagation."""
    monkeypatch.setattr(logging.getLogger("fashiongan"), "propagate", True)
    return caplog


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


@dataclass
class MessyFolder:
    """An image folder with one of every kind of good and bad file, and what a check should say."""

    root: Path
    good: dict[str, int]  # class -> good images (with Pillow's default pixel limit)
    bad: dict[str, str]  # path relative to root -> words the reason must contain
    bomb: str  # relative path of a 120x100 image, bad only with max_pixels=bomb_limit
    bomb_limit: int = 10_000


def _save(path: Path, image: Image.Image, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)


def _noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    width, height = size
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8))


@pytest.fixture
def messy_image_folder(tmp_path: Path) -> MessyFolder:
    """tops/ holds odd-but-good modes and most bad files; shoes/ holds other formats and the bomb."""
    root = tmp_path / "messy"
    tops, shoes = root / "tops", root / "shoes"
    _save(tops / "rgb.png", _noise((10, 8)))
    _save(tops / "photo.jpg", _noise((12, 12), 1), quality=90)
    _save(tops / "cmyk.jpg", Image.new("CMYK", (8, 8), (0, 255, 255, 0)))
    palette = Image.new("P", (8, 8), 0)  # left half: index 0 (transparent), right half: index 1 (red)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.paste(1, (4, 0, 8, 8))
    _save(tops / "palette.gif", palette, transparency=0)
    _save(tops / "gray16.png", Image.fromarray(np.full((8, 8), 32896, dtype=np.uint16)))
    _save(tops / "alpha.png", Image.new("RGBA", (8, 8), (255, 0, 0, 0)))
    _save(tops / "gray_alpha.png", Image.new("LA", (8, 8), (0, 0)))
    _save(tops / "nested" / "deeper" / "deep.png", _noise((7, 9), 2))
    _save(tops / ".hidden.png", _noise((8, 8)))  # hidden: ignored, never counted
    _save(tops / ".thumbs" / "x.png", _noise((8, 8)))
    (tops / "empty.png").write_bytes(b"")
    (tops / "notes.txt").write_text("not an image")
    (tops / "garbage.png").write_bytes(np.random.default_rng(3).bytes(500))
    _save(tops / "cut.png", _noise((32, 32), 4))
    (tops / "cut.png").write_bytes((tops / "cut.png").read_bytes()[:1500])
    _save(tops / "cut.jpg", _noise((64, 64), 5), quality=95)
    (tops / "cut.jpg").write_bytes((tops / "cut.jpg").read_bytes()[:3000])
    _save(shoes / "a.bmp", _noise((9, 9)))
    _save(shoes / "b.webp", _noise((9, 11)))
    _save(shoes / "c.tif", _noise((11, 9)))
    _save(shoes / "D.PNG", _noise((6, 6)))
    _save(shoes / "bomb.png", Image.new("L", (120, 100), 0))
    bad = {
        "tops/empty.png": "zero bytes",
        "tops/notes.txt": "unsupported extension '.txt'",
        "tops/garbage.png": "not an image Pillow can read",
        "tops/cut.png": "corrupt or truncated",
        "tops/cut.jpg": "corrupt or truncated",
    }
    return MessyFolder(root=root, good={"shoes": 5, "tops": 8}, bad=bad, bomb="shoes/bomb.png")


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], Path]]:
    """``read_only(folder)``: create ``folder`` and make it unwritable; returns it.

    chmod 0o555 is enough for a normal user; root ignores permission bits, so there the one function
    that creates files for fashiongan's writes (``io.make_temp``) also refuses inside the folder.
    """
    import errno

    from fashiongan import io

    folders: list[Path] = []
    real_make_temp = io.make_temp

    def make_temp(folder: Path, name: str) -> Path:
        if any(Path(folder).resolve().is_relative_to(f.resolve()) for f in folders):
            raise PermissionError(errno.EACCES, "Permission denied", str(folder))
        return real_make_temp(folder, name)

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        folders.append(folder)
        if os.geteuid() == 0:
            monkeypatch.setattr(io, "make_temp", make_temp)
        return folder

    yield make
    for folder in folders:
        folder.chmod(0o755)


@pytest.fixture
def linked_folder(tiny_image_folder: Path, tmp_path: Path) -> tuple[Path, Path]:
    """tiny_image_folder plus every kind of awkward link, and an outside "home" folder it points into."""
    root, home = tiny_image_folder, tmp_path / "home"
    home.mkdir()
    (home / "taxes.txt").write_text("private")
    Image.new("RGB", (6, 6)).save(home / "holiday.png")
    (root / "bags" / "home").symlink_to(home)  # a folder link leaving ROOT
    (root / "bags" / "holiday.png").symlink_to(home / "holiday.png")  # a file link leaving ROOT
    (root / "everything").symlink_to("/")  # a class folder linked to the file system's root
    (root / "twin").symlink_to(root / "shoes")  # a class linked to another class
    (root / "dresses" / "up").symlink_to(root)  # a folder link back up to ROOT
    (root / "dresses" / "same.png").symlink_to(root / "bags" / "0.png")  # the same image twice
    (root / "shoes" / "gone.png").symlink_to(tmp_path / "nowhere.png")  # dangling
    (root / "shoes" / "loop_a").symlink_to(root / "shoes" / "loop_b")  # a loop
    (root / "shoes" / "loop_b").symlink_to(root / "shoes" / "loop_a")
    return root, home
