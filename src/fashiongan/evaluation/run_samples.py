"""A run's images for ``evaluate RUN_DIR`` and their evaluator features, shared out over torchrun ranks.

Each rank generates a contiguous block of the N images (the seeds and classes one process would give them)
and extracts its features; every rank then holds all N, in one process's order.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from fashiongan import distributed
from fashiongan.evaluation.features import compute_features
from fashiongan.evaluation.network import EvaluatorNet


def rank_block(n: int) -> tuple[int, int]:
    """This rank's contiguous share [start, stop) of n images (all of them in one process)."""
    world, rank = distributed.world_size(), distributed.rank()
    per_rank = -(-n // world)
    return min(n, rank * per_rank), min(n, (rank + 1) * per_rank)


def generate_and_extract(
    run_dir: Path, n: int, seed: int, checkpoint: str, device: torch.device, net: EvaluatorNet
) -> tuple[torch.Tensor, torch.Tensor | None, tuple[np.ndarray, np.ndarray, float], float]:
    """Images seed..seed+n-1 and their evaluator features; under torchrun each rank makes its block of them
    and every rank ends up with all N, in the order one process would make them."""
    from fashiongan.generate import generate

    start, stop = rank_block(n)
    tick = time.perf_counter()
    samples = generate(run_dir, seeds=range(seed + start, seed + stop), checkpoint=checkpoint, device=device,
                       label_start=start)  # type: ignore[arg-type]
    generate_seconds = time.perf_counter() - tick
    tick = time.perf_counter()
    features, probs = compute_features(net, samples.images, device=device)
    feature_seconds = time.perf_counter() - tick
    images, labels = samples.images, samples.labels
    if distributed.world_size() > 1:
        images = distributed.gather_rows(images)
        labels = None if labels is None else distributed.gather_rows(labels)
        features = distributed.gather_rows(torch.from_numpy(features)).numpy()
        probs = distributed.gather_rows(torch.from_numpy(probs)).numpy()
        generate_seconds, feature_seconds = distributed.all_reduce_max([generate_seconds, feature_seconds])
    return images, labels, (features, probs, feature_seconds), generate_seconds
