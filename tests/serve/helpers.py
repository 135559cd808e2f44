"""A tiny trained run for the serve, export and CLI tests (one epoch of a small model on random images)."""

from __future__ import annotations

from pathlib import Path

import torch

import fashiongan
from fashiongan.data.dataset import ImageDataset

CLASS_NAMES = ["T-shirt/top", "Trouser", "Sneaker", "Ankle boot"]


def train_tiny_run(run_dir: Path, conditional: bool = True) -> Path:
    """Train 1 epoch (a few steps) on 32 random 28x28 images in the four classes above."""
    generator = torch.Generator().manual_seed(0)
    data = ImageDataset(torch.randint(0, 256, (32, 1, 28, 28), dtype=torch.uint8, generator=generator),
                        torch.arange(32) % len(CLASS_NAMES), list(CLASS_NAMES))
    config = fashiongan.make_config("fmnist", {"train.epochs": 1, "model.g_channels": 16, "model.d_channels": 8,
                                               "train.batch_size": 8, "model.conditional": conditional})
    fashiongan.train(config, run_dir, progress_bar=False, data=data)
    return run_dir
