from __future__ import annotations

import numpy as np
import pytest

from fashiongan.evaluation.inception_score import inception_score


def test_balanced_confident_predictions_score_k():
    k = 10
    probs = np.eye(k)[np.arange(200) % k]  # each split of 20 holds every class twice
    mean, std = inception_score(probs, splits=10)
    assert mean == pytest.approx(k)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_identical_predictions_score_one():
    probs = np.tile([0.7, 0.2, 0.1], (90, 1))
    assert inception_score(probs, splits=3) == pytest.approx((1.0, 0.0))
    one_class = np.tile([0.0, 1.0, 0.0], (90, 1))
    assert inception_score(one_class, splits=3)[0] == pytest.approx(1.0)


def test_score_lies_between_one_and_k():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(500, 7)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    mean, _ = inception_score(probs)
    assert 1.0 < mean < 7.0
