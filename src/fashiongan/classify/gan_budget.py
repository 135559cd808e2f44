"""The GAN config of a study cell: one function, so switching presets or budgets is a one-line change.

Each cell's GAN gets the same wall-clock budget (``train.seconds``), so cells with 10 or 5,000 images per
class are comparable. Grids and checkpoints are kept to the end of the budget: with 100 images an epoch is
two steps, and drawing a grid or saving after each would cost more than the training.
"""

from __future__ import annotations

import logging
from typing import Any

from fashiongan.config import PRESETS, RunConfig, make_config

log = logging.getLogger(__name__)

PREFERRED_PRESET = "fmnist-best"
FALLBACK_PRESET = "fmnist"
RARELY = 1_000_000  # epochs between grids/checkpoints: in effect only the final ones


def gan_preset(name: str | None = None) -> str:
    """``name``, or the strongest Fashion-MNIST preset this version has."""
    if name:
        return name
    return PREFERRED_PRESET if PRESETS.get(PREFERRED_PRESET) is not None else FALLBACK_PRESET


def gan_config(preset: str, seconds: float, seed: int, num_images: int, device: str = "auto",
               extra: dict[str, Any] | None = None) -> RunConfig:
    """The config of a cell's conditional GAN: ``preset`` trained for ``seconds`` on ``num_images`` images.

    ``extra`` overrides go last (levers such as a smaller model; tests use a tiny one).
    """
    overrides = {"train.seed": seed, "train.device": device, "train.seconds": float(seconds), "train.epochs": None,
                 "train.sample_every": RARELY, "train.checkpoint_every": RARELY}
    return make_config(preset, {**overrides, **(extra or {})})
