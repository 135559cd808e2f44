from __future__ import annotations

import numpy as np
import pytest

from fashiongan.evaluation.prdc import knn_radii, prdc


def line(xs) -> np.ndarray:
    return np.stack([np.asarray(xs, np.float64), np.zeros(len(xs))], axis=1)


def test_knn_radii_on_a_line():
    # grid 0..9: the 3rd nearest other point is at distance 3 for the ends and 2 elsewhere
    np.testing.assert_allclose(knn_radii(line(range(10)), k=3), [3, 2, 2, 2, 2, 2, 2, 2, 2, 3])


def test_identical_sets():
    points = np.random.default_rng(0).normal(size=(300, 5))
    result = prdc(points, points.copy(), k=3)
    for key in ("precision", "recall", "coverage"):
        assert result[key] == pytest.approx(1.0), key
    # each real ball holds its own centre and its k neighbours: density = (k + 1) / k
    assert result["density"] == pytest.approx(4 / 3)


def test_two_samples_of_one_distribution():
    rng = np.random.default_rng(1)
    result = prdc(rng.normal(size=(2000, 4)), rng.normal(size=(2000, 4)), k=3)
    assert result["density"] == pytest.approx(1.0, abs=0.1)  # E[density] = 1 (Naeem et al. 2020)
    # E[coverage] = 1 - 1/2^k for equal set sizes (Naeem et al. 2020, section 4)
    assert result["coverage"] == pytest.approx(1 - 1 / 2**3, abs=0.03)
    assert result["precision"] > 0.9 and result["recall"] > 0.9


def test_disjoint_far_sets_score_zero():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(100, 3))
    result = prdc(real, real + 1000.0, k=3)
    assert result == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_partial_overlap_with_hand_computed_values():
    real = line(range(10))  # radii 3,2,2,2,2,2,2,2,2,3
    fake = line([0, 1, 2, 3, 4, 100, 101, 102, 103, 104])  # half on the reals, half far away
    result = prdc(real, fake, k=3)
    assert result["precision"] == pytest.approx(0.5)
    # fake radii on 0..4 are 3,2,2,2,3: reals 0..7 lie in one (7 is 3 from fake 4)
    assert result["recall"] == pytest.approx(0.8)
    # real balls holding a fake: 0..4 (themselves), 5 and 6 (fake 4 within radius 2)
    assert result["coverage"] == pytest.approx(0.7)
    # real balls holding fakes 0,1,2,3,4: 3+4+5+6+5 = 23, over k * M = 30
    assert result["density"] == pytest.approx(23 / 30)


def test_chunking_and_precomputed_radii_do_not_change_the_result():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(257, 6)), rng.normal(size=(131, 6)) + 0.3
    full = prdc(real, fake, k=3)
    assert prdc(real, fake, k=3, chunk=16) == full
    assert prdc(real, fake, k=3, real_radii=knn_radii(real, 3)) == full


def test_too_few_samples():
    with pytest.raises(ValueError, match="more than 3"):
        knn_radii(np.zeros((3, 2)), k=3)
