"""The GAN config of a study cell: one function, so switching presets or budget keys is a one-line change.

Each cell's GAN gets the same wall-clock budget, so cells with 10 or 5,000 images per class are
comparable. The budget key ``train.seconds`` is used where this version's config has it; otherwise the
budget becomes a number of epochs estimated from a measured throughput (about 1,200 images/s for the
``fmnist`` preset on 2 CPU cores, README).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fashiongan.config import PRESETS, RunConfig, TrainConfig, make_config

log = logging.getLogger(__name__)

PREFERRED_PRESET = "fmnist-best"
FALLBACK_PRESET = "fmnist"
IMAGES_PER_SECOND = 1200.0  # fmnist preset, 2 CPU cores (used only without a train.seconds key)


def gan_preset(name: str | None = None) -> str:
    """``name``, or the strongest Fashion-MNIST preset this version has."""
    if name:
        return name
    return PREFERRED_PRESET if PRESETS.get(PREFERRED_PRESET) is not None else FALLBACK_PRESET


def has_seconds_key() -> bool:
    return "seconds" in TrainConfig.__dataclass_fields__


def gan_config(preset: str, seconds: float, seed: int, num_images: int, device: str = "auto",
               extra: dict[str, Any] | None = None) -> RunConfig:
    """The config of a cell's conditional GAN: ``preset`` trained for ``seconds`` on ``num_images`` images.

    ``extra`` overrides go last (levers such as a smaller model; tests use a tiny one).
    """
    epochs = max(1, math.ceil(seconds * IMAGES_PER_SECOND / max(1, num_images)))
    overrides = {"train.seed": seed, "train.device": device, "train.epochs": epochs, "train.sample_every": epochs}
    if has_seconds_key():
        overrides["train.seconds"] = float(seconds)
        overrides["train.epochs"] = overrides["train.sample_every"] = epochs * 10  # the seconds budget binds
    return make_config(preset, {**overrides, **(extra or {})})
