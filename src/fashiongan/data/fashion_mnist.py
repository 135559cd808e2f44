"""Fashion-MNIST: find the four IDX files, download them with a checksum, parse and validate them.

The files are the official ones from https://github.com/zalandoresearch/fashion-mnist
(Xiao, Rasul and Vollgraf, 2017): 60,000 training and 10,000 test images, 28x28 grayscale, 10 classes.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.paths import user_cache_dir

log = logging.getLogger(__name__)

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip

OFFICIAL_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian/Ubuntu: apt-get install dataset-fashion-mnist

# split -> (images file, labels file), without the ".gz" that the official downloads carry
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FILE_NAMES = [name for pair in SPLIT_FILES.values() for name in pair]

# SHA-256 of the *uncompressed* IDX bytes. We hash the content rather than the .gz file because
# repackagers rewrite the gzip header: Debian's dataset-fashion-mnist drops the file name and resets the
# mtime, so its .gz files do not match the MD5s in the Fashion-MNIST README although the compressed data
# is identical. (Checked: putting back the original header, name and mtime 2017-08-31, reproduces
# all four published MD5s, e.g. train-images 8d4fb7e6c68d591d4c3dfef9ec88bf0d.) The official .gz files
# themselves have SHA-256 3aede38d... (train-images), a04f1713... (train-labels), 346e55b9... (t10k-images)
# and 67da17c7... (t10k-labels). Hashing the content accepts every faithful copy and rejects changed data.
CONTENT_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions

HOW_TO_GET = (
    "install Debian's package (apt-get install dataset-fashion-mnist), or put the four IDX files in a folder "
    "and pass --data-dir DIR or set FASHION_MNIST_DIR"
)


def cache_folder() -> Path:
    """Where downloads go: ``<user cache>/fashion-mnist``."""
    return user_cache_dir() / "fashion-mnist"


def _find_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _missing_files(folder: Path) -> list[str]:
    return [f"{name}.gz" for name in FILE_NAMES if _find_file(folder, name) is None]


def locate_fashion_mnist(data_dir: str | Path | None = None) -> Path | None:
    """The first folder holding all four IDX files (``.gz`` or not), or None.

    Looks in ``data_dir`` (if given it must hold them: UserError otherwise), ``$FASHION_MNIST_DIR``,
    ``/usr/share/datasets/fashion-mnist`` and the user cache folder, in that order.
    """
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        missing = _missing_files(folder)
        if missing:
            raise UserError(
                f"--data-dir {folder} does not hold the Fashion-MNIST files; missing: {', '.join(missing)}"
            )
        return folder
    env_dir = os.environ.get("FASHION_MNIST_DIR")
    if env_dir:
        folder = Path(env_dir).expanduser()
        missing = _missing_files(folder)
        if not missing:
            return folder
        log.warning("FASHION_MNIST_DIR=%s lacks %s; looking elsewhere", folder, ", ".join(missing))
    for folder in (SYSTEM_DIR, cache_folder()):
        if not _missing_files(folder):
            return folder
    return None


GZIP_MAGIC = b"\x1f\x8b"  # IDX files start with two zero bytes, so the two can't be confused


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise UserError(f"cannot read IDX file {path}: {exc}") from None


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file of unsigned bytes (``.gz`` or raw) into a uint8 array of its dimensions.

    The header is a big-endian magic number (2049 for labels, 2051 for images) followed by one
    uint32 per dimension; the data must be exactly the product of the dimensions in bytes.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise UserError(f"IDX file {path} is too short to hold a header ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic not in (IDX_LABELS_MAGIC, IDX_IMAGES_MAGIC):
        raise UserError(
            f"IDX file {path} has magic number {magic}; expected {IDX_LABELS_MAGIC} (labels) "
            f"or {IDX_IMAGES_MAGIC} (images)"
        )
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise UserError(f"IDX file {path} is truncated inside its header")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header_size + int(np.prod(dims))
    if len(data) != expected:
        raise UserError(
            f"IDX file {path} holds {len(data)} bytes but its header {dims} needs {expected} "
            "(truncated or wrong file)"
        )
    # bytearray makes the array writable, so torch.from_numpy can share it without a copy warning
    return np.frombuffer(bytearray(data), dtype=np.uint8, offset=header_size).reshape(dims)


def _read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    images_name, labels_name = SPLIT_FILES[split]
    images_path, labels_path = _find_file(folder, images_name), _find_file(folder, labels_name)
    assert images_path is not None and labels_path is not None  # the locator checked
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise UserError(f"{images_path} should hold 28x28 images; its shape is {images.shape}")
    if labels.ndim != 1:
        raise UserError(f"{labels_path} should hold labels (1 dimension); its shape is {labels.shape}")
    if len(images) != len(labels):
        raise UserError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise UserError(f"{labels_path} has label {labels.max()}; Fashion-MNIST labels are 0..9")
    return images, labels


def load_fashion_mnist(
    split: str = "train", data_dir: str | Path | None = None, download: bool = True
) -> ImageDataset:
    """Fashion-MNIST as uint8 images (N, 1, 28, 28) and int64 labels (N,): 60,000 train or 10,000 test.

    The files are found by ``locate_fashion_mnist``; if none are found and ``download`` is true they
    are downloaded (with checksums) into the user cache folder.
    """
    if split not in SPLIT_FILES:
        raise UserError(f"Fashion-MNIST split must be one of {', '.join(SPLIT_FILES)}; got {split!r}")
    folder = locate_fashion_mnist(data_dir)
    if folder is None:
        if not download:
            raise UserError(f"Fashion-MNIST not found; {HOW_TO_GET}")
        folder = download_fashion_mnist(cache_folder())
    images, labels = _read_split(folder, split)
    return ImageDataset(
        images=torch.from_numpy(images).unsqueeze(1),
        labels=torch.from_numpy(labels.astype(np.int64)),
        class_names=list(CLASS_NAMES),
    )


def content_sha256(path: str | Path) -> str:
    """SHA-256 of a file's uncompressed bytes (gzip data is decompressed first, whatever the name)."""
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    with (gzip.open if compressed else open)(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _is_valid_copy(path: Path, name: str) -> bool:
    try:
        return content_sha256(path) == CONTENT_SHA256[name]
    except (OSError, EOFError, zlib.error):
        return False


def _fetch(url: str, dest: Path) -> None:
    """Stream ``url`` into ``dest`` with a progress bar on stderr."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        name = url.rsplit("/", 1)[-1]
        with tqdm(total=total, unit="B", unit_scale=True, desc=name, file=sys.stderr) as bar:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                bar.update(len(chunk))


def download_fashion_mnist(dest: str | Path, base_url: str | None = None) -> Path:
    """Download the four official ``.gz`` files into ``dest`` and verify their checksums; returns ``dest``.

    ``base_url`` defaults to ``$FASHION_MNIST_URL`` or ``OFFICIAL_URL``. Each file goes to a temporary
    name first and is renamed only once its checksum matches; files already there and valid are kept.
    """
    dest = Path(dest).expanduser()
    base_url = base_url or os.environ.get("FASHION_MNIST_URL") or OFFICIAL_URL
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILE_NAMES:
        final = dest / f"{name}.gz"
        if final.is_file() and _is_valid_copy(final, name):
            continue
        url = base_url + final.name
        fd, tmp_name = tempfile.mkstemp(dir=dest, prefix=f".{final.name}.", suffix=".part")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            try:
                _fetch(url, tmp)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                raise UserError(f"could not download {url} ({exc}); {HOW_TO_GET}") from None
            if not _is_valid_copy(tmp, name):
                raise UserError(f"checksum mismatch for {url}: the download is corrupt or not Fashion-MNIST")
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
    return dest
