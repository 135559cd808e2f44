"""Learning-rate schedules, the one module every trainer takes them from (the GAN, the classifiers, the evaluator).

Each is a pure function of how far training is, so a resumed run recomputes the same rate:

* ``lr_factor`` (the GAN): constant, or a linear/cosine decay to a floor after ``decay_start``, over the
  fraction of the steps or of the time budget;
* ``one_cycle_lr`` (classifiers): a linear warm-up from peak/25, then half a cosine down to peak/1e4;
* ``one_cycle_step`` (the evaluator): PyTorch's ``OneCycleLR`` with its defaults, step by step
  (a cosine warm-up over 30 % of the steps from peak/25, then a cosine down to peak/(25 * 1e4), with
  Adam's beta1 cycled the other way).
"""

from __future__ import annotations

import math

ONE_CYCLE_WARMUP = 0.2  # classifiers: share of the budget spent warming up


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


def one_cycle_lr(fraction: float, peak: float) -> float:
    """Learning rate at ``fraction`` of the budget: linear warm-up from peak/25, then cosine to peak/1e4."""
    fraction = min(max(fraction, 0.0), 1.0)
    if fraction < ONE_CYCLE_WARMUP:
        return peak / 25 + (peak - peak / 25) * fraction / ONE_CYCLE_WARMUP
    t = (fraction - ONE_CYCLE_WARMUP) / (1 - ONE_CYCLE_WARMUP)
    return peak / 1e4 + (peak - peak / 1e4) * 0.5 * (1 + math.cos(math.pi * t))


def one_cycle_step(step: int, total_steps: int, peak: float, warmup: float = 0.3, start_div: float = 25.0,
                   end_div: float = 1e4, momenta: tuple[float, float] = (0.85, 0.95)) -> tuple[float, float]:
    """(learning rate, Adam beta1) of optimizer step ``step`` (0-based) of ``total_steps``, as PyTorch's
    ``OneCycleLR`` sets them with its defaults: both follow half cosines whose phases end at steps
    warmup * total - 1 and total - 1; beta1 falls from 0.95 to 0.85 while the rate rises, then rises again."""
    start, low = peak / start_div, peak / start_div / end_div
    warmup_end = float(warmup * total_steps) - 1
    if step <= warmup_end:
        pct = step / warmup_end if warmup_end > 0 else 1.0
        lr_from, lr_to, beta_from, beta_to = start, peak, momenta[1], momenta[0]
    else:
        pct = (step - warmup_end) / (total_steps - 1 - warmup_end)
        lr_from, lr_to, beta_from, beta_to = peak, low, momenta[0], momenta[1]
    cosine = math.cos(math.pi * pct) + 1
    return lr_to + (lr_from - lr_to) / 2.0 * cosine, beta_to + (beta_from - beta_to) / 2.0 * cosine
