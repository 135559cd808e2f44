"""Tests for fashiongan.data.fashion_mnist: IDX parsing, the locator, downloads with checksums."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch

from fashiongan.data import fashion_mnist as fm
from fashiongan.errors import UserError
from fashiongan.paths import user_cache_dir

# --- IDX parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_round_trip(tmp_path, write_idx, suffix):
    images = np.random.default_rng(1).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([0, 9, 3, 3, 1], dtype=np.uint8)
    assert np.array_equal(fm.read_idx(write_idx(tmp_path / f"i{suffix}", images)), images)
    assert np.array_equal(fm.read_idx(write_idx(tmp_path / f"l{suffix}", labels)), labels)


def test_idx_wrong_magic(tmp_path, write_idx):
    path = write_idx(tmp_path / "x.gz", np.zeros((2, 3, 3)), magic=2050)
    with pytest.raises(UserError, match=r"x\.gz has magic number 2050; expected 2049 \(labels\) or 2051"):
        fm.read_idx(path)


def test_idx_truncated_data(tmp_path, write_idx):
    path = write_idx(tmp_path / "x", np.zeros((4, 28, 28)))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(UserError, match=r"holds 3142 bytes but its header \(4, 28, 28\) needs 3152"):
        fm.read_idx(path)


def test_idx_truncated_header(tmp_path, write_idx):
    path = write_idx(tmp_path / "x", np.zeros((4, 28, 28)))
    path.write_bytes(path.read_bytes()[:9])
    with pytest.raises(UserError, match="truncated inside its header"):
        fm.read_idx(path)


def test_idx_extra_bytes(tmp_path, write_idx):
    path = write_idx(tmp_path / "x", np.zeros(6))
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(UserError, match=r"holds 15 bytes but its header \(6,\) needs 14"):
        fm.read_idx(path)


def test_idx_truncated_gzip(tmp_path, write_idx):
    path = write_idx(tmp_path / "x.gz", np.arange(1000) % 10)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(UserError, match=r"cannot read IDX file .*x\.gz"):
        fm.read_idx(path)


def test_count_mismatch(tiny_fashion_mnist_dir, write_idx):
    write_idx(tiny_fashion_mnist_dir / "t10k-labels-idx1-ubyte.gz", np.zeros(9))
    with pytest.raises(UserError, match="holds 10 images but .*t10k-labels-idx1-ubyte.gz holds 9 labels"):
        fm.load_fashion_mnist("test", data_dir=tiny_fashion_mnist_dir)


def test_label_out_of_range(tiny_fashion_mnist_dir, write_idx):
    write_idx(tiny_fashion_mnist_dir / "t10k-labels-idx1-ubyte.gz", np.full(10, 10))
    with pytest.raises(UserError, match="has label 10; Fashion-MNIST labels are 0..9"):
        fm.load_fashion_mnist("test", data_dir=tiny_fashion_mnist_dir)


def test_load_tiny(tiny_fashion_mnist_dir):
    data = fm.load_fashion_mnist("train", data_dir=tiny_fashion_mnist_dir)
    raw = fm.read_idx(tiny_fashion_mnist_dir / "train-images-idx3-ubyte.gz")
    assert data.images.shape == (20, 1, 28, 28) and data.images.dtype == torch.uint8
    assert torch.equal(data.images[:, 0], torch.from_numpy(raw))
    assert data.labels.dtype == torch.int64 and data.labels.tolist() == [i % 10 for i in range(20)]
    assert data.class_names == fm.CLASS_NAMES and len(fm.CLASS_NAMES) == 10


def test_bad_split(tiny_fashion_mnist_dir):
    with pytest.raises(UserError, match="split must be one of train, test; got 'valid'"):
        fm.load_fashion_mnist("valid", data_dir=tiny_fashion_mnist_dir)


# --- locator -----------------------------------------------------------------------------------------


@pytest.fixture
def no_system_copy(tmp_path, monkeypatch):
    """Hide this machine's copies: empty system folder, private cache, no env overrides."""
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "no-system-copy")
    monkeypatch.setenv("FASHIONGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.delenv("FASHION_MNIST_URL", raising=False)


def _copy(src: Path, dest: Path, raw: bool = False) -> Path:
    dest.mkdir(parents=True)
    for path in src.iterdir():
        if raw:  # the same files without .gz
            (dest / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
        else:
            shutil.copy(path, dest / path.name)
    return dest


def test_locate_nothing(no_system_copy):
    assert fm.locate_fashion_mnist() is None
    with pytest.raises(UserError, match="apt-get install dataset-fashion-mnist"):
        fm.load_fashion_mnist(download=False)


def test_locate_order(no_system_copy, tiny_fashion_mnist_dir, tmp_path, monkeypatch):
    system = _copy(tiny_fashion_mnist_dir, tmp_path / "system")
    cache = _copy(tiny_fashion_mnist_dir, user_cache_dir() / "fashion-mnist")
    env_dir = _copy(tiny_fashion_mnist_dir, tmp_path / "env", raw=True)
    assert fm.locate_fashion_mnist() == cache
    monkeypatch.setattr(fm, "SYSTEM_DIR", system)
    assert fm.locate_fashion_mnist() == system
    monkeypatch.setenv("FASHION_MNIST_DIR", str(env_dir))
    assert fm.locate_fashion_mnist() == env_dir
    assert fm.locate_fashion_mnist(tiny_fashion_mnist_dir) == tiny_fashion_mnist_dir
    # files without .gz load the same
    assert torch.equal(fm.load_fashion_mnist("test").images, fm.load_fashion_mnist("test", system).images)


def test_env_dir_incomplete_falls_through(
    no_system_copy, tiny_fashion_mnist_dir, tmp_path, monkeypatch, fashiongan_caplog
):
    cache = _copy(tiny_fashion_mnist_dir, user_cache_dir() / "fashion-mnist")
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    assert fm.locate_fashion_mnist() == cache
    assert "FASHION_MNIST_DIR" in fashiongan_caplog.text


def test_data_dir_missing_files_does_not_fall_through(tiny_fashion_mnist_dir, tmp_path):
    (tiny_fashion_mnist_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    message = r"does not hold the Fashion-MNIST files; missing: t10k-labels-idx1-ubyte\.gz$"
    with pytest.raises(UserError, match=message):
        fm.locate_fashion_mnist(tiny_fashion_mnist_dir)


def test_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("FASHIONGAN_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "fashiongan"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert user_cache_dir() == Path.home() / ".cache" / "fashiongan"
    monkeypatch.setenv("FASHIONGAN_CACHE", str(tmp_path / "mine"))
    assert user_cache_dir() == tmp_path / "mine"


# --- downloads through a local HTTP server -----------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()


@contextmanager
def serve(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``folder`` on 127.0.0.1; yields the base URL and the list of requested paths."""
    requests: list[str] = []
    handler = type("Handler", (_QuietHandler,), {"requests": requests})
    handler = functools.partial(handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def real_gz_folder(tmp_path) -> Path:
    """A folder of the real files as .gz (the ones the locator finds), or skip."""
    folder = fm.locate_fashion_mnist()
    if folder is None:
        pytest.skip("real Fashion-MNIST not found")
    if all((folder / f"{name}.gz").is_file() for name in fm.FILE_NAMES):
        return folder
    served = tmp_path / "served"
    served.mkdir()
    for name in fm.FILE_NAMES:
        source = fm._find_file(folder, name)
        data = source.read_bytes() if source.suffix == ".gz" else gzip.compress(source.read_bytes(), 1)
        (served / f"{name}.gz").write_bytes(data)
    return served


def test_download_real_files(real_gz_folder, tmp_path, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_URL", raising=False)
    dest = tmp_path / "dest"
    with serve(real_gz_folder) as (url, requests):
        assert fm.download_fashion_mnist(dest, base_url=url) == dest
        assert sorted(requests) == sorted(f"/{name}.gz" for name in fm.FILE_NAMES)
        fm.download_fashion_mnist(dest, base_url=url)  # already there and valid: nothing fetched
        assert len(requests) == 4
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{name}.gz" for name in fm.FILE_NAMES)
    for name in fm.FILE_NAMES:
        assert fm.content_sha256(dest / f"{name}.gz") == fm.CONTENT_SHA256[name]
    test = fm.load_fashion_mnist("test", data_dir=dest)
    assert test.images.shape == (10000, 1, 28, 28) and test.labels.bincount().tolist() == [1000] * 10


def test_download_checksum_mismatch(tiny_fashion_mnist_dir, tmp_path, monkeypatch):
    dest = tmp_path / "dest"
    monkeypatch.setenv("FASHION_MNIST_URL", "http://127.0.0.1:9/unused/")
    with serve(tiny_fashion_mnist_dir) as (url, requests):
        with pytest.raises(UserError, match=r"checksum mismatch for http://127\.0\.0\.1:\d+/train-images"):
            fm.download_fashion_mnist(dest, base_url=url)
        assert requests == ["/train-images-idx3-ubyte.gz"]
        assert list(dest.iterdir()) == []  # the temporary download is gone, nothing was kept


def test_download_url_from_env(tiny_fashion_mnist_dir, no_system_copy, monkeypatch):
    with serve(tiny_fashion_mnist_dir) as (url, requests):
        monkeypatch.setenv("FASHION_MNIST_URL", url.rstrip("/"))
        with pytest.raises(UserError, match="checksum mismatch"):
            fm.load_fashion_mnist("train")  # nothing found, so it downloads into the cache
        assert requests == ["/train-images-idx3-ubyte.gz"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_network_failure(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/"
    message = r"could not download .*apt-get install dataset-fashion-mnist.*--data-dir"
    with pytest.raises(UserError, match=message):
        fm.download_fashion_mnist(tmp_path / "dest", base_url=url)
    assert list((tmp_path / "dest").iterdir()) == []


def test_download_not_found(tmp_path):
    with serve(tmp_path) as (url, _), pytest.raises(UserError, match="could not download .*404"):
        fm.download_fashion_mnist(tmp_path / "dest", base_url=url)


# --- the real data -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("split", "n"), [("train", 60000), ("test", 10000)])
def test_real_fashion_mnist(split, n):
    if fm.locate_fashion_mnist() is None:
        pytest.skip("real Fashion-MNIST not found")
    data = fm.load_fashion_mnist(split, download=False)
    assert data.images.shape == (n, 1, 28, 28) and data.images.dtype == torch.uint8
    assert data.labels.bincount().tolist() == [n // 10] * 10
    assert 60 < data.images.float().mean() < 90  # Fashion-MNIST's mean pixel is about 73
