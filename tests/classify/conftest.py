"""Tiny class-structured data for classifier tests: every test trains in a second or two."""

from __future__ import annotations

import pytest
import torch

from fashiongan.data.dataset import ImageDataset
from fashiongan.data.splits import Splits


def banded(n: int, num_classes: int, seed: int, size: int = 28, channels: int = 1) -> ImageDataset:
    """uint8 images whose class shows as a bright band at a class-dependent height, over noise."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % num_classes
    images = torch.randint(0, 60, (n, channels, size, size), generator=generator)
    band = max(1, size // (num_classes + 1))
    for i, c in enumerate(labels.tolist()):
        images[i, :, c * band : (c + 1) * band + 1, 2 : size - 2] += 180
    return ImageDataset(images.to(torch.uint8), labels, [f"class{c}" for c in range(num_classes)])


@pytest.fixture
def tiny_splits() -> Splits:
    """4 classes at 28 px: 64 train, 16 validation, 32 test images."""
    return Splits(banded(64, 4, 0), banded(16, 4, 1), banded(32, 4, 2), "official")
