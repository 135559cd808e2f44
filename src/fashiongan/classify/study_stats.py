"""The study's statistics: paired differences over seeds, their 95 % confidence interval, and the verdict.

Cells of one N share their seed across arms (the same drawn images, validation split and GAN), so arms are
compared seed by seed: d_s = acc(arm, s) - acc(baseline, s). The interval is the paired t interval
mean(d) ± t_{0.975, n-1} · sd(d) / sqrt(n) (Student 1908; any statistics text, e.g. Wasserman 2004,
"All of Statistics", sec. 10.7). The t quantile comes from a table (df 1-30, scipy's values to 4
decimals) and, beyond it, the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5), so scipy is not
needed at run time; the tests compare both with scipy.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

# t_{0.975, df} for df = 1..30 (two-sided 95 %)
T_975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788,
         2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
         2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)
Z_975 = 1.959963984540054


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1; got {df}")
    if df <= len(T_975):
        return T_975[df - 1]
    z = Z_975
    return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))


@dataclass(frozen=True)
class PairedInterval:
    """Mean paired difference and its 95 % interval (None with fewer than two pairs)."""

    mean: float
    low: float | None
    high: float | None
    n: int

    @property
    def verdict(self) -> str:
        """"better" when the interval lies above 0, "worse" below, else "no difference shown"."""
        if self.low is None or self.high is None:
            return "one seed: no interval"
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "no difference shown"


def paired_interval(arm: list[float], baseline: list[float]) -> PairedInterval:
    """The paired t interval of ``arm - baseline`` (the same seeds, in the same order)."""
    if len(arm) != len(baseline) or not arm:
        raise ValueError(f"paired values need equal, non-zero lengths; got {len(arm)} and {len(baseline)}")
    differences = [a - b for a, b in zip(arm, baseline, strict=True)]
    mean = statistics.fmean(differences)
    n = len(differences)
    if n < 2:
        return PairedInterval(mean, None, None, n)
    half = t_quantile_975(n - 1) * statistics.stdev(differences) / math.sqrt(n)
    return PairedInterval(mean, mean - half, mean + half, n)


def mean_interval(values: list[float]) -> tuple[float, float | None]:
    """(mean, half-width of its 95 % t interval) of one arm's accuracies over seeds (None for one seed)."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None
    return mean, t_quantile_975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
