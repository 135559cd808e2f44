"""Every metric of one set of generated images against the real reference split, with the real-data floor.

``measure`` is the shared core of ``evaluate_samples``, ``evaluate_run`` and ``evaluate_npz``
(evaluate.py): it loads or reuses the reference features, computes the feature, class and memorisation
metrics, the floor (the same metrics for N real training images) and the protocol that produced them.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fashiongan.config import DataConfig
from fashiongan.errors import UserError
from fashiongan.evaluation.features import SHIPPED_WEIGHTS, EvaluatorInfo, compute_features
from fashiongan.evaluation.inception_score import DEFAULT_SPLITS
from fashiongan.evaluation.kid import DEFAULT_SUBSET_SIZE, DEFAULT_SUBSETS
from fashiongan.evaluation.memorisation import DEFAULT_M
from fashiongan.evaluation.metrics import feature_metrics, memorisation_metrics
from fashiongan.evaluation.prdc import DEFAULT_K
from fashiongan.evaluation.result import Evaluation, Evaluator
from fashiongan.evaluation.samples_npz import check_labels_range
from fashiongan.evaluation.stats import Reference, cached_result, load_real, reference_features, reference_split
from fashiongan.version import __version__

log = logging.getLogger(__name__)

MIN_IMAGES = 10


def check_fit(images: torch.Tensor, info: EvaluatorInfo, source: str) -> None:
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise UserError(
            f"images from {source} must be uint8 (N, C, H, W); got {images.dtype} {tuple(images.shape)}"
        )
    n, channels, height, width = images.shape
    if (channels, height, width) != (info.channels, info.image_size, info.image_size):
        raise UserError(
            f"images from {source} are {height}x{width} with {channels} channel(s), but the evaluator "
            f"takes {info.image_size}x{info.image_size} with {info.channels}; "
            "pass --evaluator PATH trained on this data"
        )
    if n < MIN_IMAGES:
        raise UserError(f"evaluation needs at least {MIN_IMAGES} images from {source}; got {n}")


def label_map(info: EvaluatorInfo, class_names: list[str]) -> np.ndarray | None:
    """The evaluator's index of each data class (a subset of its classes is mapped by name), or None."""
    if list(info.class_names) == list(class_names):
        return np.arange(len(class_names))
    if set(class_names) <= set(info.class_names):  # e.g. --classes 5-9 of Fashion-MNIST
        return np.array([list(info.class_names).index(name) for name in class_names])
    log.warning(
        "the evaluator's classes (%s) are not the data's (%s); class metrics are skipped",
        ", ".join(info.class_names),
        ", ".join(class_names),
    )
    return None


def class_labels_or_none(
    labels: torch.Tensor | None, info: EvaluatorInfo, class_names: list[str]
) -> np.ndarray | None:
    """Labels for the class metrics as the evaluator's class indices, or None when they cannot be mapped."""
    mapping = None if labels is None else label_map(info, class_names)
    return None if mapping is None else mapping[labels.numpy()]


def measure(
    images: torch.Tensor,
    labels: torch.Tensor | None,
    data_config: DataConfig,
    evaluator: Evaluator,
    *,
    device: str | torch.device = "cpu",
    memorisation: bool = True,
    floor: bool = True,
    seed: int = 0,
    source: str = "the samples",
    extracted: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> Evaluation:
    """Every metric; ``extracted`` = (features, probs, seconds) when the images' features are already known."""
    net, info = evaluator
    images, labels = images.cpu(), None if labels is None else labels.cpu()
    check_fit(images, info, source)
    check_labels_range(labels, info.num_classes, source)
    started, seconds = time.perf_counter(), {}
    split = reference_split(data_config)
    reference_data = load_real(data_config, split)
    ref = reference_features(data_config, split, evaluator, device, dataset=reference_data, with_radii=True)
    train_data, train_ref = (reference_data, ref) if split == "train" else (None, None)
    if (floor or memorisation) and train_ref is None:
        train_data = load_real(data_config, "train")
        train_ref = reference_features(data_config, "train", evaluator, device, dataset=train_data)
    seconds["reference_features"] = time.perf_counter() - started

    tick = time.perf_counter()
    features, probs = compute_features(net, images, device=device) if extracted is None else extracted[:2]
    seconds["features"] = time.perf_counter() - tick if extracted is None else extracted[2]
    tick = time.perf_counter()
    class_labels = class_labels_or_none(labels, info, reference_data.class_names)
    result = feature_metrics(features, probs, class_labels, ref, seed=seed)
    seconds["metrics"] = time.perf_counter() - tick

    evaluation = Evaluation(
        result, images, labels, list(reference_data.class_names), reference_data.images,
        predicted=probs.argmax(axis=1), evaluator_class_names=list(info.class_names),
    )  # fmt: skip
    if memorisation:
        tick = time.perf_counter()
        result["memorisation"], evaluation.nearest, evaluation.nearest_ids = memorisation_metrics(
            images, features, train_data.images, train_ref.features, reference_data.images, ref.features,
            holdout_is_train=split == "train", seed=seed,
        )  # fmt: skip
        evaluation.train_images = train_data.images
        seconds["memorisation"] = time.perf_counter() - tick
    floor_n = None
    if floor:
        tick = time.perf_counter()
        floor_n = min(len(images), len(train_ref))
        pick = np.sort(np.random.default_rng(seed).choice(len(train_ref), floor_n, replace=False))
        mapping = label_map(info, reference_data.class_names) if class_labels is not None else None
        floor_labels = None if mapping is None else mapping[train_ref.labels[pick]]
        result["floor"] = cached_result(  # a pure function of real data and settings: computed once
            ["floor", ref.key, train_ref.key, floor_n, seed, floor_labels is not None, DEFAULT_K, DEFAULT_SUBSETS,
             DEFAULT_SPLITS, __version__],
            lambda: feature_metrics(train_ref.features[pick], train_ref.probs[pick], floor_labels, ref, seed=seed),
        )
        seconds["floor"] = time.perf_counter() - tick
    seconds["total"] = time.perf_counter() - started + (extracted[2] if extracted is not None else 0.0)
    result["class_names"] = list(info.class_names)  # the classes of the histogram and confusion matrix
    result["protocol"] = _protocol(len(images), ref, floor_n, info, seed, data_config, seconds)
    return evaluation


def _protocol(
    n: int,
    ref: Reference,
    floor_n: int | None,
    info: EvaluatorInfo,
    seed: int,
    data_config: DataConfig,
    seconds: dict[str, float],
) -> dict[str, Any]:
    """What produced the numbers: results with a different protocol are not comparable."""
    shipped = info.path is not None and Path(info.path).resolve() == SHIPPED_WEIGHTS.resolve()
    return {
        "n": n,
        "data": data_config.source,
        "reference": {"split": ref.split, "size": len(ref)},
        "floor": None
        if floor_n is None
        else {"split": "train", "n": floor_n, "overlaps_reference": ref.split == "train"},
        "evaluator": {
            "sha256": info.sha256,
            "path": "shipped" if shipped else str(info.path),
            "test_accuracy": info.test_accuracy,
        },
        "seed": seed,
        "fashiongan_version": __version__,
        "settings": {
            "k": DEFAULT_K,
            "kid_subsets": DEFAULT_SUBSETS,
            "kid_subset_size": DEFAULT_SUBSET_SIZE,
            "inception_score_splits": DEFAULT_SPLITS,
            "memorisation_m": DEFAULT_M,
        },
        "seconds": {name: round(value, 2) for name, value in seconds.items()},
    }


