"""Class metrics for conditional generators, read off the evaluator's predictions.

class accuracy = 1/N sum_i 1[argmax_y p(y|x_i) = c_i], the share of samples the evaluator puts in
the class c_i that was asked for (the "GAN-train/test" idea of Shmelkov et al. 2018, "How good is
my GAN?", ECCV, in its simplest form). The confusion matrix counts asked-for class (rows) against
predicted class (columns); the predicted-class histogram shows mode collapse as empty or
overfull bars, with or without labels.
"""

from __future__ import annotations

import numpy as np


def predicted_classes(probs: np.ndarray) -> np.ndarray:
    """argmax class of each row of ``probs`` (N, K), int64 (N,)."""
    return np.asarray(probs).argmax(axis=1).astype(np.int64)


def class_accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Share of samples whose predicted class equals the requested label."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    return float((labels == predicted).mean())


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (K, K): row = requested class, column = predicted class."""
    flat = np.asarray(labels, np.int64) * num_classes + np.asarray(predicted, np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Diagonal over row sums; NaN for a class that was never requested."""
    rows = confusion.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, np.diag(confusion) / rows, np.nan)


def predicted_histogram(predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """How many samples the evaluator puts in each class, int64 (K,)."""
    return np.bincount(np.asarray(predicted, np.int64), minlength=num_classes)


def histogram_entropy_ratio(histogram: np.ndarray) -> float:
    """Entropy of the predicted-class shares divided by log K: 1 = balanced, 0 = a single class."""
    shares = np.asarray(histogram, np.float64) / max(1, int(np.sum(histogram)))
    nonzero = shares[shares > 0]
    return float(-(nonzero * np.log(nonzero)).sum() / np.log(len(histogram))) if len(histogram) > 1 else 1.0
