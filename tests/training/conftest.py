"""Tiny configs and data for fast training tests."""

from __future__ import annotations

import pytest
import torch

from fashiongan.config import RunConfig, make_config
from fashiongan.data.dataset import ImageDataset


def tiny_config(**overrides) -> RunConfig:
    base = {"model.g_channels": 16, "model.d_channels": 8, "train.batch_size": 16, "train.epochs": 2,
            "train.lr_g": 2e-4, "train.lr_d": 2e-4}
    base.update(overrides)
    return make_config("fmnist", base)


@pytest.fixture
def tiny_data() -> ImageDataset:
    """40 random 28x28 gray images in 4 classes (40 // 16 = 2 steps per epoch)."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (40, 1, 28, 28), dtype=torch.uint8, generator=generator)
    labels = torch.arange(40) % 4
    return ImageDataset(images, labels, ["a", "b", "c", "d"])
