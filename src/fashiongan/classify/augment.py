"""Augmentation of classifier batches, as tensor ops on the device: classic (flips and small shifts) or strong.

The flip-and-shift itself (data/transforms.py) is shared with the evaluator's training recipe; the strong
policy (a TrivialAugment op and random erasing) is in strong_augment.py.
"""

from __future__ import annotations

import torch

from fashiongan.classify.strong_augment import strong
from fashiongan.data.transforms import random_flip_and_shift
from fashiongan.errors import UserError
from fashiongan.models.layers import scale_to_unit

AUGMENTS = ("none", "classic", "strong")
MAX_SHIFT_28 = 2  # pixels at 28 px; scaled with the image size (a 2/28 crop-and-pad)


def check_augment(name: str) -> str:
    if name not in AUGMENTS:
        raise UserError(f"--augment must be one of {', '.join(AUGMENTS)}; got {name!r}")
    return name


def classic(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random left-right flips and shifts of up to 2/28 of the side (edges replicated).

    images: uint8 (N, C, H, W) or float in [-1, 1]; returns float in [-1, 1] on the same device.
    Random numbers come from ``generator`` (CPU), so a seeded run is reproducible on any device.
    """
    x = scale_to_unit(images) if images.dtype == torch.uint8 else images
    max_shift = max(1, round(MAX_SHIFT_28 * images.shape[-1] / 28))
    return random_flip_and_shift(x, max_shift, generator)


def augment_batch(images: torch.Tensor, name: str, generator: torch.Generator) -> torch.Tensor:
    """uint8 batch -> float [-1, 1] batch, augmented as ``name`` says ("none", "classic" or "strong")."""
    if name == "classic":
        return classic(images, generator)
    if name == "strong":
        return strong(scale_to_unit(images), generator)
    return scale_to_unit(images)
