from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fashiongan.errors import UserError
from fashiongan.evaluation.samples_npz import check_labels_range, load_samples


def save(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def test_gray_and_rgb_images_load_as_nchw(tmp_path: Path):
    gray = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28) % 251
    images, labels = load_samples(save(tmp_path / "g.npz", images=gray, labels=np.array([3, 1])))
    assert images.shape == (2, 1, 28, 28) and images.dtype == torch.uint8
    assert torch.equal(images[:, 0], torch.from_numpy(gray))
    assert labels.dtype == torch.int64 and labels.tolist() == [3, 1]
    rgb = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    rgb[..., 2] = 200
    images, labels = load_samples(save(tmp_path / "c.npz", images=rgb))
    assert images.shape == (3, 3, 8, 8) and labels is None
    assert images[:, 2].eq(200).all() and images[:, :2].eq(0).all()


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"pictures": np.zeros((2, 28, 28), np.uint8)}, r"has no `images` array \(found: pictures\)"),
        ({"images": np.zeros((2, 28, 28), np.float32)}, "must be uint8"),
        (
            {"images": np.zeros((2, 28), np.uint8)},
            r"must have shape \(N, H, W\) or \(N, H, W, 3\); got \(2, 28\)",
        ),
        ({"images": np.zeros((2, 28, 28, 4), np.uint8)}, r"got \(2, 28, 28, 4\)"),
        ({"images": np.zeros((0, 28, 28), np.uint8)}, "holds no images"),
        (
            {"images": np.zeros((2, 28, 28), np.uint8), "labels": np.zeros(3, np.int64)},
            r"shape \(2,\), one per",
        ),
        ({"images": np.zeros((2, 28, 28), np.uint8), "labels": np.zeros(2, np.float32)}, "must be integers"),
        (
            {"images": np.zeros((2, 28, 28), np.uint8), "labels": np.array([0, -1])},
            "must be class indices >= 0",
        ),
    ],
)
def test_malformed_arrays_are_user_errors(tmp_path: Path, arrays: dict, message: str):
    path = save(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UserError, match=message):
        load_samples(path)


def test_unreadable_files_are_user_errors(tmp_path: Path):
    with pytest.raises(UserError, match="samples file not found"):
        load_samples(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not a zip at all")
    with pytest.raises(UserError, match="is not a readable .npz file"):
        load_samples(tmp_path / "text.npz")
    good = save(tmp_path / "good.npz", images=np.zeros((50, 28, 28), np.uint8))
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(UserError, match="is not a readable .npz file"):
        load_samples(tmp_path / "cut.npz")
    np.save(tmp_path / "single.npy", np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(UserError, match="single .npy array"):
        load_samples(tmp_path / "single.npy")


def test_object_arrays_are_never_unpickled(tmp_path: Path):
    path = save(tmp_path / "obj.npz", images=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(UserError, match="never unpickled"):
        load_samples(path)


def test_labels_beyond_the_evaluator_classes():
    check_labels_range(torch.tensor([0, 9]), 10, "x.npz")
    check_labels_range(None, 10, "x.npz")
    with pytest.raises(UserError, match=r"x.npz go up to 10.*\(0..9\)"):
        check_labels_range(torch.tensor([0, 10]), 10, "x.npz")


def test_corrupt_compressed_member_is_a_user_error(tmp_path: Path):
    path = tmp_path / "z.npz"
    np.savez_compressed(path, images=np.random.default_rng(0).integers(0, 255, (40, 28, 28), dtype=np.uint8))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # zero a stretch of the deflate stream
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="is not a readable .npz file"):
        load_samples(path)
