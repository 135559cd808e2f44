"""Frechet distance between two Gaussians fitted to feature sets (FID).

FID = ||mu_1 - mu_2||^2 + Tr(S_1) + Tr(S_2) - 2 Tr((S_1 S_2)^(1/2))
(Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
Equilibrium", NeurIPS; the Frechet distance of Gaussians is from Dowson & Landau 1982).
"""

from __future__ import annotations

import numpy as np


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of ``features`` (N, D), both float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"need a (N >= 2, D) feature array, got shape {features.shape}")
    mean = features.mean(axis=0)
    cov = np.cov(features, rowvar=False)
    return mean, np.atleast_2d(cov)


def trace_sqrt_product(cov1: np.ndarray, cov2: np.ndarray) -> float:
    """Tr((S_1 S_2)^(1/2)) for symmetric positive semi-definite S_1, S_2.

    S_1 S_2 is not symmetric, but it is similar to A = S_1^(1/2) S_2 S_1^(1/2), which is, so both
    have the same (non-negative) eigenvalues and Tr((S_1 S_2)^(1/2)) = sum_i sqrt(lambda_i(A)).
    Two symmetric eigen-decompositions, with round-off negatives clipped to zero, stay real and
    stable on the near-singular covariances that few samples in many dimensions give (where a
    general ``sqrtm`` can return complex values or blow up).
    """
    eigvals, eigvecs = np.linalg.eigh(cov1)
    sqrt_cov1 = (eigvecs * np.sqrt(np.clip(eigvals, 0.0, None))) @ eigvecs.T
    middle = sqrt_cov1 @ cov2 @ sqrt_cov1
    middle = (middle + middle.T) / 2  # remove round-off asymmetry
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(middle), 0.0, None)).sum())


def frechet_distance(mean1: np.ndarray, cov1: np.ndarray, mean2: np.ndarray, cov2: np.ndarray) -> float:
    """Frechet distance between N(mean1, cov1) and N(mean2, cov2), in float64 (never negative)."""
    mean1, mean2 = np.asarray(mean1, np.float64), np.asarray(mean2, np.float64)
    cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    if mean1.shape != mean2.shape or cov1.shape != cov2.shape or cov1.shape != mean1.shape * 2:
        raise ValueError(f"mismatched statistics: {mean1.shape}, {cov1.shape}, {mean2.shape}, {cov2.shape}")
    diff = mean1 - mean2
    value = diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt_product(cov1, cov2)
    return max(float(value), 0.0)


def fid_from_features(features1: np.ndarray, features2: np.ndarray) -> float:
    """FID between two feature sets (N1, D) and (N2, D)."""
    return frechet_distance(*feature_stats(features1), *feature_stats(features2))
