"""What the bench trains on: the preset's config at a chosen precision, and random uint8 data of its shape.

Throughput does not depend on pixel values, so the bench needs no data set on disk (folder presets
included) and measures the same batch path the training loop uses.
"""

from __future__ import annotations

from typing import Any

import torch

from fashiongan.config import PRESETS, RunConfig, make_config
from fashiongan.data.dataset import ImageDataset

PLACEHOLDER_SOURCE = "bench-random-data"  # folder presets need a source; the bench never reads it


def bench_config(preset: str, overrides: dict[str, Any], precision: str, device: torch.device,
                 batch_size: int | None) -> RunConfig:
    """The preset with the user's overrides, at ``precision`` ("fp32" or "bf16") on ``device``."""
    settings = dict(overrides)
    if not settings.get("data.source", PRESETS.get(preset, {}).get("data.source", "fmnist")):
        settings["data.source"] = PLACEHOLDER_SOURCE
    settings |= {"train.precision": precision, "train.device": device.type}
    if batch_size is not None:
        settings["train.batch_size"] = batch_size
    return make_config(preset, settings)


def random_data(config: RunConfig, batches: int = 8, seed: int = 0) -> ImageDataset:
    """``batches`` batches of random uint8 images and labels, shaped like the config's data."""
    generator = torch.Generator().manual_seed(seed)
    n = batches * config.train.batch_size
    size, channels = config.data.image_size, config.data.channels
    images = torch.randint(0, 256, (n, channels, size, size), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, config.model.num_classes, (n,), generator=generator)
    return ImageDataset(images, labels, [str(i) for i in range(config.model.num_classes)])
