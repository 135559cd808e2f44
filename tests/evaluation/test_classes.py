from __future__ import annotations

import numpy as np
import pytest

from fashiongan.data.fashion_mnist import load_fashion_mnist
from fashiongan.evaluation.classes import (
    class_accuracy,
    confusion_matrix,
    histogram_entropy_ratio,
    per_class_accuracy,
    predicted_classes,
    predicted_histogram,
)
from fashiongan.evaluation.features import compute_features
from tests.evaluation.helpers import shipped_evaluator_and_data


def test_class_metrics_on_constructed_labels():
    labels = np.array([0, 0, 1, 1, 2, 2])
    probs = np.eye(3)[[0, 1, 1, 1, 0, 2]]
    predicted = predicted_classes(probs)
    assert class_accuracy(labels, predicted) == pytest.approx(4 / 6)
    confusion = confusion_matrix(labels, predicted, 3)
    np.testing.assert_array_equal(confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    np.testing.assert_allclose(per_class_accuracy(confusion), [0.5, 1.0, 0.5])
    np.testing.assert_array_equal(predicted_histogram(predicted, 4), [2, 3, 1, 0])


def test_never_requested_class_has_nan_accuracy():
    confusion = confusion_matrix(np.array([0, 0]), np.array([0, 1]), 2)
    assert np.isnan(per_class_accuracy(confusion)[1])


def test_histogram_entropy_ratio():
    assert histogram_entropy_ratio(np.array([5, 5, 5, 5])) == pytest.approx(1.0)
    assert histogram_entropy_ratio(np.array([0, 20, 0, 0])) == pytest.approx(0.0)
    assert 0 < histogram_entropy_ratio(np.array([1, 9, 0, 0])) < 1


def test_class_accuracy_on_real_test_images_is_the_evaluator_accuracy():
    net, info = shipped_evaluator_and_data()
    test = load_fashion_mnist("test").random_subset(2000, seed=0)
    _, probs = compute_features(net, test.images)
    accuracy = class_accuracy(test.labels.numpy(), predicted_classes(probs))
    # 2,000 of the 10,000 test images: binomial std ~0.006 around the recorded test accuracy
    assert accuracy == pytest.approx(info.test_accuracy, abs=0.025)
    assert accuracy >= 0.9
