from __future__ import annotations

import numpy as np
import pytest
import torch

from fashiongan.evaluation.memorisation import closest_pairs, distance_summary, nearest_neighbours, search


def brute_force(query: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dist = np.sqrt(((query[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2))
    return dist.min(axis=1), dist.argmin(axis=1)


def test_exact_copies_are_found_at_distance_zero():
    g = torch.Generator().manual_seed(0)
    train = torch.randint(0, 256, (300, 1, 8, 8), dtype=torch.uint8, generator=g)
    generated = torch.randint(0, 256, (20, 1, 8, 8), dtype=torch.uint8, generator=g)
    generated[3], generated[11] = train[5], train[217]
    distances, indices = nearest_neighbours(generated, train, scale=1 / 255, chunk=64)
    assert distances[3] == pytest.approx(0.0, abs=1e-6) and indices[3] == 5
    assert distances[11] == pytest.approx(0.0, abs=1e-6) and indices[11] == 217
    assert (np.delete(distances, [3, 11]) > 1.0).all()


def test_matches_brute_force_in_pixel_space():
    g = torch.Generator().manual_seed(1)
    train = torch.randint(0, 256, (150, 1, 6, 6), dtype=torch.uint8, generator=g)
    generated = torch.randint(0, 256, (25, 1, 6, 6), dtype=torch.uint8, generator=g)
    distances, indices = nearest_neighbours(generated, train, scale=1 / 255, chunk=40)
    expected_d, expected_i = brute_force(
        generated.reshape(25, -1).numpy() / 255, train.reshape(150, -1).numpy() / 255
    )
    np.testing.assert_allclose(distances, expected_d, rtol=1e-12)
    np.testing.assert_array_equal(indices, expected_i)


def test_exclude_skips_the_query_itself():
    features = torch.tensor([[0.0], [1.0], [3.0], [7.0]], dtype=torch.float64)
    distances, indices = nearest_neighbours(features, features, exclude=np.arange(4), chunk=3)
    np.testing.assert_allclose(distances, [1, 1, 2, 4])
    np.testing.assert_array_equal(indices, [1, 0, 1, 2])


def test_search_summary_and_closest_pairs():
    train = torch.arange(100, dtype=torch.float64)[:, None]
    generated = torch.tensor([[10.0], [20.5], [30.25]], dtype=torch.float64)
    holdout = torch.arange(100, dtype=torch.float64)[:, None] + 0.5
    result = search(generated, holdout, train)
    summary = result.summary()
    assert summary["holdout"]["min"] == pytest.approx(0.5)
    assert summary["generated"]["min"] == pytest.approx(0.0, abs=1e-9)
    assert summary["share_below_holdout_p01"] == pytest.approx(2 / 3)
    pairs = closest_pairs(result, np.array([7, 8, 9]), count=2)
    assert [p["generated_index"] for p in pairs] == [7, 9]
    assert pairs[0] == {"generated_index": 7, "train_index": 10, "distance": 0.0}


def test_distance_summary():
    summary = distance_summary(np.arange(101, dtype=np.float64))
    assert summary == {"min": 0.0, "p01": 1.0, "p05": 5.0, "median": 50.0}
