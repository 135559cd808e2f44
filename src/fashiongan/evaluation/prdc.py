"""Precision and recall (Kynkaanniemi et al. 2019) and density and coverage (Naeem et al. 2020).

Each real sample x_i gets a ball of radius r_k(x_i), the distance to its k-th nearest other real
sample; each fake sample y_j likewise gets r_k(y_j) among the fakes. With M fakes and N reals:

  precision = 1/M sum_j 1[exists i: ||y_j - x_i|| <= r_k(x_i)]   (fakes inside the real manifold)
  recall    = 1/N sum_i 1[exists j: ||x_i - y_j|| <= r_k(y_j)]   (reals inside the fake manifold)
  density   = 1/(kM) sum_j sum_i 1[||y_j - x_i|| <= r_k(x_i)]    (how many real balls hold each fake)
  coverage  = 1/N sum_i 1[exists j: ||y_j - x_i|| <= r_k(x_i)]   (real balls that hold some fake)

Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for Assessing Generative Models",
NeurIPS; Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models", ICML.
Distances are computed in float64 torch blocks of ``chunk`` rows, so 10k x 10k fits in memory.
A point on a ball's boundary counts as inside: radii are widened by a relative 1e-9 so that
round-off cannot push a sample's own k-th neighbour out of its ball.
"""

from __future__ import annotations

import numpy as np
import torch

DEFAULT_K = 3
CHUNK = 2048
BOUNDARY_TOLERANCE = 1e-9


def squared_distances(
    a: torch.Tensor, b: torch.Tensor, b_sq_norms: torch.Tensor | None = None
) -> torch.Tensor:
    """||a_i - b_j||^2 for all pairs: (m, d), (n, d) -> (m, n), clamped at zero."""
    if b_sq_norms is None:
        b_sq_norms = (b * b).sum(dim=1)
    dist = torch.addmm(b_sq_norms[None, :], a, b.T, alpha=-2.0)  # ||b||^2 - 2 a.b
    return dist.add_((a * a).sum(dim=1, keepdim=True)).clamp_(min=0.0)


def knn_radii(features: np.ndarray, k: int = DEFAULT_K, chunk: int = CHUNK) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (the row itself excluded), float64 (N,)."""
    x = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    if x.shape[0] <= k:
        raise ValueError(f"k-NN radii with k={k} need more than {k} samples, got {x.shape[0]}")
    sq_norms = (x * x).sum(dim=1)
    radii = torch.empty(x.shape[0], dtype=torch.float64)
    for start in range(0, x.shape[0], chunk):
        dist = squared_distances(x[start : start + chunk], x, sq_norms)
        # k + 1 smallest: the row's own (zero) distance is one of them
        radii[start : start + chunk] = dist.topk(k + 1, dim=1, largest=False).values[:, k]
    return radii.sqrt().numpy()


def prdc(
    real: np.ndarray,
    fake: np.ndarray,
    k: int = DEFAULT_K,
    real_radii: np.ndarray | None = None,
    chunk: int = CHUNK,
) -> dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` (M, D) against ``real`` (N, D).

    ``real_radii`` may be passed in when the real set is fixed (it is cached with the reference
    features); it must be ``knn_radii(real, k)``.
    """
    real_t = torch.as_tensor(np.asarray(real), dtype=torch.float64)
    fake_t = torch.as_tensor(np.asarray(fake), dtype=torch.float64)
    if real_radii is None:
        real_radii = knn_radii(real, k, chunk)
    widen = (1.0 + BOUNDARY_TOLERANCE) ** 2
    real_r2 = torch.as_tensor(real_radii, dtype=torch.float64).square() * widen
    fake_r2 = torch.as_tensor(knn_radii(fake, k, chunk), dtype=torch.float64).square() * widen
    real_sq_norms = (real_t * real_t).sum(dim=1)

    in_real_balls = torch.zeros(fake_t.shape[0], dtype=torch.float64)  # per fake: real balls holding it
    real_covered = torch.zeros(real_t.shape[0], dtype=torch.bool)  # per real: its ball holds a fake
    real_recalled = torch.zeros(real_t.shape[0], dtype=torch.bool)  # per real: inside some fake ball
    for start in range(0, fake_t.shape[0], chunk):
        dist = squared_distances(fake_t[start : start + chunk], real_t, real_sq_norms)  # (chunk, N)
        inside_real = dist <= real_r2[None, :]
        in_real_balls[start : start + chunk] = inside_real.sum(dim=1, dtype=torch.float64)
        real_covered |= inside_real.any(dim=0)
        real_recalled |= (dist <= fake_r2[start : start + chunk, None]).any(dim=0)
    return {
        "precision": float((in_real_balls > 0).double().mean()),
        "recall": float(real_recalled.double().mean()),
        "density": float(in_real_balls.sum() / (k * fake_t.shape[0])),
        "coverage": float(real_covered.double().mean()),
    }
