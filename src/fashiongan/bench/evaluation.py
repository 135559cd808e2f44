"""Evaluation speed: images/s through the evaluator network, and the wall time of a full evaluation."""

from __future__ import annotations

from collections.abc import Callable

import torch

from fashiongan.config import DataConfig
from fashiongan.evaluation.evaluate import evaluate_samples
from fashiongan.evaluation.features import compute_features, load_evaluator


def feature_extraction(device: torch.device, n: int) -> Callable[[], object]:
    """``compute_features`` on n random uint8 28x28 images with the shipped evaluator."""
    net, info = load_evaluator(None, device=device)
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, info.channels, 28, 28), dtype=torch.uint8, generator=generator)
    return lambda: compute_features(net, images, device=device, progress=False)


def full_evaluation(draw: Callable[[], torch.Tensor], labels: torch.Tensor | None, data: DataConfig,
                    device: torch.device) -> Callable[[], dict]:
    """What ``fashiongan evaluate RUN_DIR`` does after loading the run: draw N images, then every metric.

    The first call fills the on-disk caches of real-data features (the cold start); time the later ones.
    """
    return lambda: evaluate_samples(draw(), labels, data, device=device)
