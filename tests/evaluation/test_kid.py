from __future__ import annotations

import numpy as np
import pytest

from fashiongan.evaluation.kid import kid, mmd2_unbiased, polynomial_kernel


def brute_force_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    def k(a, b):
        return (a @ b / a.shape[0] + 1) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_mmd2_matches_the_definition():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(5, 3)) + 0.3
    assert mmd2_unbiased(x, y) == pytest.approx(brute_force_mmd2(x, y), rel=1e-12)


def test_kernel_shape_and_value():
    x = np.ones((2, 4))
    np.testing.assert_allclose(polynomial_kernel(x, np.zeros((3, 4))), np.ones((2, 3)))
    np.testing.assert_allclose(polynomial_kernel(x, x), np.full((2, 2), 8.0))


def test_kid_is_near_zero_for_one_distribution_and_positive_for_shifted():
    rng = np.random.default_rng(1)
    real, same = rng.normal(size=(2000, 16)), rng.normal(size=(2000, 16))
    mean, std = kid(real, same, num_subsets=50, subset_size=500)
    assert abs(mean) < 3 * std
    shifted_mean, shifted_std = kid(real, same + 0.5, num_subsets=50, subset_size=500)
    assert shifted_mean > 10 * shifted_std
    assert shifted_mean > 50 * abs(mean)


def test_kid_is_seeded_and_clips_subset_size():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=(20, 4))
    assert kid(x, y, num_subsets=5, seed=3) == kid(x, y, num_subsets=5, seed=3)
    assert kid(x, y, num_subsets=5, seed=3) != kid(x, y, num_subsets=5, seed=4)
    with pytest.raises(ValueError, match="at least 2"):
        kid(x[:1], y)
