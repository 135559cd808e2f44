"""Tests for fashiongan.data.load: dispatch on the source, folder splits with a shared class list."""

from __future__ import annotations

import shutil

import pytest
import torch
from PIL import Image

from fashiongan.config import DataConfig
from fashiongan.data.fashion_mnist import CLASS_NAMES
from fashiongan.data.load import has_test_split, load_dataset
from fashiongan.errors import UserError


def test_fmnist_dispatch(tiny_fashion_mnist_dir):
    config = DataConfig(source="fmnist", data_dir=str(tiny_fashion_mnist_dir))
    train, test = load_dataset(config), load_dataset(config, "test")
    assert len(train) == 20 and len(test) == 10 and train.class_names == CLASS_NAMES
    assert has_test_split(config)


def test_folder_dispatch(tiny_image_folder, tmp_path):
    config = DataConfig(source=str(tiny_image_folder), image_size=32, channels=3, cache_dir=str(tmp_path))
    data = load_dataset(config)
    assert data.images.shape == (12, 3, 32, 32) and data.class_names == ["bags", "dresses", "shoes"]
    assert not has_test_split(config)
    with pytest.raises(UserError, match=r"has no test split; put held-out images in .*/test/<class>/"):
        load_dataset(config, "test")


def test_folder_options_are_passed(tiny_image_folder, tmp_path):
    config = DataConfig(source=str(tiny_image_folder), image_size=64, channels=1, square="pad")
    config.cache_dir = str(tmp_path)
    data = load_dataset(config)
    assert data.images.shape == (12, 1, 64, 64)
    wide, tall = [1, 5, 9], [2, 6, 10]  # the 16x10 and 9x14 images of each class
    assert data.images[wide, 0, 0, :].min() > 240  # white band on top (Lanczos rings a little)
    assert data.images[tall, 0, :, 0].min() > 240  # white band on the left
    config.square = "crop"
    assert load_dataset(config).images[wide, 0, 0, :].float().mean() < 220  # the random pixels
    assert list(tmp_path.glob("*.safetensors"))


def test_train_test_folders_share_classes(tiny_image_folder, tmp_path):
    root = tmp_path / "split"
    shutil.copytree(tiny_image_folder, root / "train")
    (root / "test" / "shoes").mkdir(parents=True)
    Image.new("RGB", (8, 8), (0, 0, 255)).save(root / "test" / "shoes" / "x.png")
    config = DataConfig(source=str(root), image_size=28, channels=3, cache_dir=str(tmp_path / "cache"))
    assert has_test_split(config)
    train, test = load_dataset(config, "train"), load_dataset(config, "test")
    assert train.class_names == test.class_names == ["bags", "dresses", "shoes"]
    assert len(train) == 12 and test.labels.tolist() == [2]
    assert torch.equal(test.images[0, 2], torch.full((28, 28), 255, dtype=torch.uint8))


def test_errors(tmp_path):
    with pytest.raises(UserError, match="--data .*nowhere: no such folder; pass 'fmnist' or a folder"):
        load_dataset(DataConfig(source=str(tmp_path / "nowhere")))
    with pytest.raises(UserError, match="split must be one of train, test; got 'val'"):
        load_dataset(DataConfig(), "val")
    (tmp_path / "flat" / "train").mkdir(parents=True)
    (tmp_path / "flat" / "test").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "flat" / "train" / "a.png")
    with pytest.raises(UserError, match=r"train must hold class folders"):
        load_dataset(DataConfig(source=str(tmp_path / "flat"), channels=3))
