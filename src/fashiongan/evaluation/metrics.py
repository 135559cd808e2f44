"""All metrics of one feature set against a reference, and the memorisation search, as JSON-ready dicts.

The formulas live one family per file (fid, kid, prdc, inception_score, classes, memorisation);
this file only decides which of them an evaluation reports and under which keys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from fashiongan.evaluation import classes
from fashiongan.evaluation.fid import feature_stats, frechet_distance
from fashiongan.evaluation.inception_score import inception_score
from fashiongan.evaluation.kid import DEFAULT_SUBSETS, kid
from fashiongan.evaluation.memorisation import DEFAULT_M, NearestTrain, closest_pairs, search
from fashiongan.evaluation.prdc import DEFAULT_K, prdc
from fashiongan.evaluation.stats import Reference

PANEL_PAIRS = 16  # closest generated/training pairs kept for the report panel


def _class_metrics(probs: np.ndarray, labels: np.ndarray | None) -> dict[str, Any]:
    num_classes = probs.shape[1]
    predicted = classes.predicted_classes(probs)
    histogram = classes.predicted_histogram(predicted, num_classes)
    out: dict[str, Any] = {"class_accuracy": None, "per_class_accuracy": None, "confusion_matrix": None}
    if labels is not None:
        confusion = classes.confusion_matrix(labels, predicted, num_classes)
        out.update(
            class_accuracy=classes.class_accuracy(labels, predicted),
            per_class_accuracy=[
                None if np.isnan(a) else float(a) for a in classes.per_class_accuracy(confusion)
            ],
            confusion_matrix=confusion.tolist(),
        )
    out.update(
        predicted_class_histogram=histogram.tolist(),
        predicted_class_balance=classes.histogram_entropy_ratio(histogram),
    )
    return out


def feature_metrics(
    features: np.ndarray,
    probs: np.ndarray,
    labels: np.ndarray | None,
    ref: Reference,
    *,
    kid_subsets: int = DEFAULT_SUBSETS,
    seed: int = 0,
    full: bool = True,
) -> dict[str, Any]:
    """Distribution and class metrics of ``features`` (N, D) and ``probs`` (N, K) against ``ref``.

    ``labels`` are the requested classes (None: unconditional). ``full=False`` keeps the cheap
    in-training subset: fid, kid, kid_std, precision, recall, class_accuracy.
    """
    mean, cov = feature_stats(features)
    kid_mean, kid_std = kid(ref.features, features, num_subsets=kid_subsets, seed=seed)
    out: dict[str, Any] = {
        "fid": frechet_distance(mean, cov, ref.mean, ref.cov),
        "kid": kid_mean,
        "kid_std": kid_std,
    }
    out.update(prdc(ref.features, features, k=DEFAULT_K, real_radii=ref.radii))
    if not full:
        predicted = classes.predicted_classes(probs)
        accuracy = None if labels is None else classes.class_accuracy(labels, predicted)
        return {key: out[key] for key in ("fid", "kid", "kid_std", "precision", "recall")} | {
            "class_accuracy": accuracy
        }
    is_mean, is_std = inception_score(probs)
    out.update(inception_score=is_mean, inception_score_std=is_std)
    out.update(_class_metrics(probs, labels))
    return out


def memorisation_metrics(
    images: torch.Tensor,
    features: np.ndarray,
    train_images: torch.Tensor,
    train_features: np.ndarray,
    holdout_images: torch.Tensor,
    holdout_features: np.ndarray,
    *,
    holdout_is_train: bool = False,
    seed: int = 0,
    m: int = DEFAULT_M,
) -> tuple[dict[str, Any], dict[str, NearestTrain], np.ndarray]:
    """Nearest training image, in pixel ([0, 1]) and feature space, for M generated and M held-out images.

    ``holdout_is_train``: the held-out images are the training images themselves (a dataset
    without a test split), so each one's own copy is excluded from its search.
    Returns the JSON summary, the searches per space, and the indices of the searched generated images.
    """
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(len(images), min(m, len(images)), replace=False))
    hold = np.sort(rng.choice(len(holdout_images), min(m, len(holdout_images)), replace=False))
    exclude = hold if holdout_is_train else None
    nearest = {
        "pixel": search(images[ids], holdout_images[hold], train_images, 1 / 255, exclude),
        "feature": search(
            torch.from_numpy(features[ids]),
            torch.from_numpy(holdout_features[hold]),
            torch.from_numpy(train_features),
            holdout_exclude=exclude,
        ),
    }
    summary: dict[str, Any] = {"m": int(len(ids)), "holdout_m": int(len(hold))}
    summary.update({space: result.summary() for space, result in nearest.items()})
    summary["closest_pairs"] = closest_pairs(nearest["pixel"], ids, PANEL_PAIRS)
    return summary, nearest, ids
