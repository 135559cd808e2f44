from __future__ import annotations

import numpy as np
import pytest

from fashiongan.evaluation.fid import feature_stats, fid_from_features, frechet_distance, trace_sqrt_product

scipy_linalg = pytest.importorskip("scipy.linalg")


def random_spd(rng: np.random.Generator, d: int, rank: int | None = None) -> np.ndarray:
    a = rng.normal(size=(d, rank or d))
    return a @ a.T / d + (0 if rank else 0.1) * np.eye(d)


def scipy_frechet(mean1, cov1, mean2, cov2) -> float:
    covmean = scipy_linalg.sqrtm(cov1 @ cov2).real
    return float(((mean1 - mean2) ** 2).sum() + np.trace(cov1 + cov2 - 2 * covmean))


def test_fid_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 32))
    assert fid_from_features(features, features) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_matches_closed_form_with_scipy_sqrtm():
    rng = np.random.default_rng(1)
    for d in (1, 4, 16):
        mean1, mean2 = rng.normal(size=d), rng.normal(size=d)
        cov1, cov2 = random_spd(rng, d), random_spd(rng, d)
        assert frechet_distance(mean1, cov1, mean2, cov2) == pytest.approx(
            scipy_frechet(mean1, cov1, mean2, cov2), rel=1e-9, abs=1e-9
        )


def test_fid_of_samples_approaches_the_gaussian_closed_form():
    rng = np.random.default_rng(2)
    mean1, mean2 = np.zeros(4), np.array([1.0, 0.0, -0.5, 0.0])
    cov1, cov2 = random_spd(rng, 4), random_spd(rng, 4)
    x = rng.multivariate_normal(mean1, cov1, size=100_000)
    y = rng.multivariate_normal(mean2, cov2, size=100_000)
    assert fid_from_features(x, y) == pytest.approx(scipy_frechet(mean1, cov1, mean2, cov2), rel=0.03)


def test_trace_sqrt_is_stable_on_near_singular_covariances():
    rng = np.random.default_rng(3)
    few = rng.normal(size=(20, 64))  # 20 samples in 64 dimensions: rank 19
    _, cov = feature_stats(few)
    value = trace_sqrt_product(cov, cov)
    assert np.isfinite(value)
    assert value == pytest.approx(np.trace(cov), rel=1e-6)  # Tr((S S)^(1/2)) = Tr(S)
    assert fid_from_features(few, few) == pytest.approx(0.0, abs=1e-6)
    cov2 = random_spd(rng, 64)
    expected = np.trace(scipy_linalg.sqrtm(cov @ cov2).real)
    assert trace_sqrt_product(cov, cov2) == pytest.approx(expected, rel=1e-4)


def test_feature_stats_are_float64_unbiased():
    features = np.arange(12, dtype=np.float32).reshape(6, 2)
    mean, cov = feature_stats(features)
    assert mean.dtype == cov.dtype == np.float64
    np.testing.assert_allclose(cov, np.cov(features.astype(np.float64), rowvar=False))


def test_mismatched_statistics_raise():
    with pytest.raises(ValueError, match="mismatched"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
