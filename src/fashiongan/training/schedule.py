"""What changes from step to step, computed in one place from how far training is.

``fraction`` is the share of the time budget spent (with --minutes/--seconds) or of the epoch limit's
steps (see loop.progress_fraction); every per-step setting derives from it, or from the images seen: the
learning rates, the label-blending strength, the EMA decay and the size of a growing batch
(``batch_units``). A new schedule is one more field of ``StepSettings``, one more line in
``step_settings`` and, if it lives in the state, in ``apply_settings``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fashiongan.config import TrainConfig
from fashiongan.run.schedule import lr_factor
from fashiongan.training.ema import ema_beta
from fashiongan.training.state import GANState, set_conditioning

__all__ = ["StepSettings", "apply_settings", "batch_units", "first_batch", "growth_lr_factor", "lr_factor",
           "step_settings"]


@dataclass(frozen=True)
class StepSettings:
    """The schedules' values for one step."""

    lr_factor: float  # multiplies train.lr_g and train.lr_d
    conditioning: float | None  # label strength while blending labels in; None without blending
    ema_beta: float  # EMA decay of this step (train_step applies it)


def step_settings(train: TrainConfig, fraction: float, images_seen: int, global_batch: int) -> StepSettings:
    """Every schedule at ``fraction`` of training, with ``images_seen`` real images shown to D so far."""
    conditioning = None
    if train.blend_end > 0:  # Shahbazi et al. 2022: unconditional first, then the labels blend in
        span = max(1e-12, train.blend_end - train.blend_start)
        conditioning = min(1.0, max(0.0, (fraction - train.blend_start) / span))
    factor = lr_factor(train.lr_schedule, fraction, train.lr_decay_start, train.lr_decay_floor)
    factor *= growth_lr_factor(train, images_seen)
    beta = ema_beta(global_batch, train.ema_kimg, images_seen, train.ema_rampup)
    return StepSettings(factor, conditioning, beta)


def first_batch(train: TrainConfig) -> int:
    """Images per step at the start: batch_start when it is set and smaller than batch_size (else no growth)."""
    return train.batch_start if 0 < train.batch_start < train.batch_size else train.batch_size


def batch_units(train: TrainConfig, images_seen: int) -> int:
    """Batches of ``train.batch_start`` images joined into this step: 1, 2, 4 … up to batch_size / batch_start.

    A growing batch (Smith et al. 2018, "Don't decay the learning rate, increase the batch size") gives the
    first seconds many small steps, where a run is short of steps, and the rest of the run the full batch.
    The number depends only on the images seen, so a resumed run joins the same batches.
    """
    full = train.batch_size // first_batch(train)  # 1 without growth
    doublings = int(images_seen // (train.batch_double_kimg * 1000.0))
    return min(full, 2 ** min(doublings, 30))


def growth_lr_factor(train: TrainConfig, images_seen: int) -> float:
    """``train.lr_start_factor`` at the first batch size, 1 at the full one, geometric in between (× F^(1 - k/K)
    after k of K doublings). Measured on Fashion-MNIST (docs/quality.md): in the first 20 s, batches of 16
    learn the classes faster at 3-4 times the full batch's rate, but a 10-minute run started so ends with less
    variety; hence an option for short runs, off in the presets."""
    full = train.batch_size // first_batch(train)
    if train.lr_start_factor == 1 or full <= 1:
        return 1.0
    done = math.log2(batch_units(train, images_seen)) / math.log2(full)
    return train.lr_start_factor ** (1.0 - done)


def apply_settings(state: GANState, train: TrainConfig, settings: StepSettings) -> None:
    """Put the step's learning rates and label strength into the state (a constant lr without a start factor is
    left untouched)."""
    if settings.conditioning is not None:
        set_conditioning(state, settings.conditioning)
    if train.lr_schedule == "constant" and train.lr_start_factor == 1:
        return
    for group in state.opt_g.param_groups:
        group["lr"] = train.lr_g * settings.lr_factor
    for group in state.opt_d.param_groups:
        group["lr"] = train.lr_d * settings.lr_factor
