"""Learning-rate schedules as a function of the fraction of training done (steps, or the time budget)."""

from __future__ import annotations

import math


def lr_factor(schedule: str, fraction: float, decay_start: float = 0.0, floor: float = 0.1) -> float:
    """1 until ``decay_start``, then down to ``floor`` at the end: linearly, or along half a cosine."""
    fraction = min(max(fraction, 0.0), 1.0)
    if schedule == "constant" or fraction <= decay_start:
        return 1.0
    t = (fraction - decay_start) / max(1e-12, 1.0 - decay_start)  # 0 → 1 over the decay
    if schedule == "linear":
        return 1.0 - (1.0 - floor) * t
    if schedule == "cosine":
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * t))
    raise ValueError(f"unknown lr schedule {schedule!r}")


def epoch_repeats(num_images: int, epoch_images: int) -> int:
    """Passes over ``num_images`` in one epoch so that it shows at least ``epoch_images`` (0: one pass).

    Records, grids and checkpoints come once per epoch, so on 500 images they would otherwise come every
    few steps and cost more than the training (train.epoch_images).
    """
    if epoch_images <= 0 or num_images <= 0:
        return 1
    return max(1, -(-epoch_images // num_images))
