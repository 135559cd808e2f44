"""Kernel Inception Distance: unbiased MMD^2 with a cubic polynomial kernel, averaged over subsets.

k(x, y) = (x . y / d + 1)^3, with d the feature dimension, and for subsets X (m) and Y (n):
MMD^2_u = 1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i, y_j) - 2/(mn) sum_{i,j} k(x_i, y_j)
(Binkowski et al. 2018, "Demystifying MMD GANs", ICLR). The estimator is unbiased, so it is
zero in expectation for two samples of one distribution and may come out slightly negative.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SUBSETS = 100
DEFAULT_SUBSET_SIZE = 1000


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x . y / d + 1)^3 for all pairs of rows: (m, d), (n, d) -> (m, n)."""
    kernel = x @ y.T
    kernel /= x.shape[1]
    kernel += 1.0
    return kernel * kernel * kernel  # much faster than ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased estimate of MMD^2 between samples ``x`` (m, d) and ``y`` (n, d), m, n >= 2."""
    m, n = x.shape[0], y.shape[0]
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    sum_xx = k_xx.sum() - np.trace(k_xx)  # off-diagonal terms only
    sum_yy = k_yy.sum() - np.trace(k_yy)
    return float(sum_xx / (m * (m - 1)) + sum_yy / (n * (n - 1)) - 2.0 * k_xy.mean())


def kid(
    real: np.ndarray,
    fake: np.ndarray,
    num_subsets: int = DEFAULT_SUBSETS,
    subset_size: int = DEFAULT_SUBSET_SIZE,
    seed: int = 0,
) -> tuple[float, float]:
    """Mean and standard deviation of MMD^2_u over ``num_subsets`` random subsets.

    Each subset draws ``min(subset_size, len(real), len(fake))`` rows without replacement from
    each set, with a numpy generator seeded by ``seed``, so the result is reproducible.
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    size = min(subset_size, real.shape[0], fake.shape[0])
    if size < 2:
        raise ValueError("KID needs at least 2 samples in each set")
    rng = np.random.default_rng(seed)
    values = np.empty(num_subsets)
    for s in range(num_subsets):
        x = real[rng.choice(real.shape[0], size, replace=False)]
        y = fake[rng.choice(fake.shape[0], size, replace=False)]
        values[s] = mmd2_unbiased(x, y)
    return float(values.mean()), float(values.std())
