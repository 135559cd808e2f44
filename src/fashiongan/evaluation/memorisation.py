"""Memorisation: how close generated images come to their nearest training image.

For each of M generated images we find the nearest training image by Euclidean distance, in pixel
space (pixels scaled to [0, 1]) and in evaluator-feature space. The same search for M held-out
real images (the test split) against the training set gives the reference distribution: how
close a new image of this kind normally is to some training image. A generator that copies shows
many distances below that distribution's low tail; we report the share of generated images closer
than its 1st percentile (about 1% for a generator that does not copy). This is the nearest-neighbour
check of e.g. Webster et al. 2019, "Detecting Overfitting of Deep Generative Networks via Latent
Recovery" (CVPR) and Meehan et al. 2020, "A Non-Parametric Test to Detect Data-Copying in
Generative Models" (AISTATS), reduced to the distance distributions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fashiongan.evaluation.prdc import squared_distances

DEFAULT_M = 1000
QUANTILES = {"min": 0.0, "p01": 0.01, "p05": 0.05, "median": 0.5}


def nearest_neighbours(
    query: torch.Tensor,
    reference: torch.Tensor,
    scale: float = 1.0,
    exclude: np.ndarray | None = None,
    chunk: int | None = None,
    candidates: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest row of ``reference`` (N, D) for each row of ``query`` (M, D), after multiplying by ``scale``.

    The search runs in float32 matmul blocks of ``chunk`` reference rows (default: about 128 MB
    of floats, at most 8192 rows), so a uint8 training set is never converted whole; the best
    ``candidates`` are then re-measured exactly in float64, so an exact copy comes out at
    distance 0. ``exclude[i]`` is a reference index query i may not match (itself, when the
    queries are training images). Returns float64 distances and int64 indices.
    """
    q = query.reshape(query.shape[0], -1).to(torch.float32) * scale
    reference = reference.reshape(reference.shape[0], -1)
    chunk = chunk or min(8192, max(256, (1 << 25) // reference.shape[1]))
    candidates = min(candidates, reference.shape[0])
    best_d = torch.full((q.shape[0], candidates), float("inf"))
    best_i = torch.zeros((q.shape[0], candidates), dtype=torch.int64)
    excluded = None if exclude is None else torch.as_tensor(exclude, dtype=torch.int64)
    for start in range(0, reference.shape[0], chunk):
        block = reference[start : start + chunk].to(torch.float32) * scale
        dist = squared_distances(q, block)  # (M, chunk)
        if excluded is not None:
            local = excluded - start
            rows = torch.nonzero((local >= 0) & (local < block.shape[0])).flatten()
            dist[rows, local[rows]] = float("inf")
        k = min(candidates, block.shape[0])
        d, i = dist.topk(k, dim=1, largest=False)
        best_d, order = torch.cat([best_d, d], dim=1).topk(candidates, dim=1, largest=False)
        best_i = torch.cat([best_i, i + start], dim=1).gather(1, order)
    query64 = query.reshape(q.shape[0], 1, -1).to(torch.float64)
    exact = (reference[best_i].to(torch.float64) - query64).mul_(scale).square().sum(dim=2).sqrt()  # (M, c)
    exact[~torch.isfinite(best_d)] = float("inf")
    pick = exact.argmin(dim=1, keepdim=True)
    return exact.gather(1, pick).squeeze(1).numpy(), best_i.gather(1, pick).squeeze(1).numpy()


def distance_summary(distances: np.ndarray) -> dict[str, float]:
    """min, 1st and 5th percentile and median of a distance sample."""
    return {name: float(np.quantile(distances, q)) for name, q in QUANTILES.items()}


@dataclass
class NearestTrain:
    """Nearest-training-image search results for one space (pixel or feature)."""

    generated_distances: np.ndarray  # (M,)
    generated_indices: np.ndarray  # (M,) indices into the training set
    holdout_distances: np.ndarray  # (M',) held-out real images to the training set

    def summary(self) -> dict[str, object]:
        threshold = float(np.quantile(self.holdout_distances, QUANTILES["p01"]))
        return {
            "generated": distance_summary(self.generated_distances),
            "holdout": distance_summary(self.holdout_distances),
            "share_below_holdout_p01": float((self.generated_distances < threshold).mean()),
        }


def search(
    generated: torch.Tensor,
    holdout: torch.Tensor,
    train: torch.Tensor,
    scale: float = 1.0,
    holdout_exclude: np.ndarray | None = None,
) -> NearestTrain:
    """Nearest training row for generated and held-out rows, in one space."""
    gen_d, gen_i = nearest_neighbours(generated, train, scale)
    hold_d, _ = nearest_neighbours(holdout, train, scale, exclude=holdout_exclude)
    return NearestTrain(gen_d, gen_i, hold_d)


def closest_pairs(result: NearestTrain, generated_ids: np.ndarray, count: int = 16) -> list[dict[str, float]]:
    """The ``count`` generated images closest to a training image, closest first.

    ``generated_ids`` maps the searched rows back to indices in the full generated set.
    """
    order = np.argsort(result.generated_distances, kind="stable")[:count]
    return [
        {
            "generated_index": int(generated_ids[j]),
            "train_index": int(result.generated_indices[j]),
            "distance": float(result.generated_distances[j]),
        }
        for j in order
    ]
