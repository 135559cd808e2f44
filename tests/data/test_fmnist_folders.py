"""The folder-best check's helper: Fashion-MNIST → 64-px RGB class folders → back to 28-px gray."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashiongan.config import DataConfig
from fashiongan.data.fashion_mnist import load_fashion_mnist
from fashiongan.data.load import load_dataset
from tests.data.fmnist_folders import folder_name, shrink_npz, write_fmnist_folders
from tests.evaluation.helpers import write_tiny_fmnist


def test_folders_keep_fashion_mnist_class_order_and_shrink_back_close(tmp_path: Path, write_idx):
    data_dir = write_tiny_fmnist(tmp_path / "fmnist", write_idx, n_train=40, n_test=10)
    root = write_fmnist_folders(tmp_path / "rgb", per_class=3, data_dir=data_dir)
    assert sorted(p.name for p in root.iterdir()) == [folder_name(k) for k in range(10)]
    assert folder_name(0) == "0-t-shirt-top" and folder_name(9) == "9-ankle-boot"
    first = next((root / folder_name(0)).iterdir())
    with Image.open(first) as picture:
        assert picture.mode == "RGB" and picture.size == (64, 64)

    loaded = load_dataset(DataConfig(source=str(root), image_size=64, channels=3, cache_dir=str(tmp_path / "c")))
    assert loaded.class_names == [folder_name(k) for k in range(10)]
    assert loaded.images.shape == (30, 3, 64, 64) and np.bincount(loaded.labels.numpy()).tolist() == [3] * 10

    hwc = loaded.images.permute(0, 2, 3, 1).numpy()
    np.savez(tmp_path / "gen.npz", images=hwc, labels=loaded.labels.numpy())
    with np.load(shrink_npz(tmp_path / "gen.npz", tmp_path / "small.npz")) as small:
        assert small["images"].shape == (30, 28, 28) and small["labels"].tolist() == loaded.labels.tolist()
        original = load_fashion_mnist("train", data_dir, download=False)
        labels = original.labels.numpy()
        expected = [i for k in range(10) for i in np.flatnonzero(labels == k)[:3]]  # class by class, file order
        originals = original.images[expected, 0].numpy().astype(int)
        error = np.abs(small["images"].astype(int) - originals).mean()
        shuffled = np.abs(small["images"].astype(int) - np.roll(originals, 1, axis=0)).mean()
        assert error < 10 and shuffled > 2 * error  # bicubic up, box down: a few grey levels on these noisy images
