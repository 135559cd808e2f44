from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashiongan.config import DataConfig
from fashiongan.data.fashion_mnist import load_fashion_mnist
from fashiongan.evaluation import stats
from fashiongan.evaluation.features import compute_features, load_evaluator
from fashiongan.evaluation.fid import feature_stats
from fashiongan.evaluation.prdc import knn_radii
from tests.evaluation.helpers import save_random_evaluator, write_tiny_fmnist


@pytest.fixture
def setup(tmp_path: Path, write_idx, monkeypatch):
    monkeypatch.setenv("FASHIONGAN_CACHE", str(tmp_path / "cache"))
    folder = write_tiny_fmnist(tmp_path / "fmnist", write_idx)
    evaluator = load_evaluator(save_random_evaluator(tmp_path / "ev.safetensors"))
    return DataConfig(data_dir=str(folder)), evaluator, tmp_path / "cache" / stats.CACHE_SUBDIR


def test_reference_features_match_a_direct_computation(setup):
    config, evaluator, _ = setup
    ref = stats.reference_features(config, "test", evaluator, with_radii=True)
    test = load_fashion_mnist("test", config.data_dir)
    features, probs = compute_features(evaluator[0], test.images)
    np.testing.assert_array_equal(ref.features, features)
    np.testing.assert_array_equal(ref.probs, probs)
    np.testing.assert_array_equal(ref.labels, test.labels.numpy())
    mean, cov = feature_stats(features)
    np.testing.assert_array_equal(ref.mean, mean)
    np.testing.assert_array_equal(ref.cov, cov)
    np.testing.assert_array_equal(ref.radii, knn_radii(features))
    assert ref.split == "test" and len(ref) == 30 and ref.class_names == test.class_names


def test_second_call_reads_the_cache(setup, monkeypatch):
    config, evaluator, cache = setup
    first = stats.reference_features(config, "train", evaluator)
    assert [p.suffix for p in cache.iterdir()] == [".safetensors"]

    def fail(*args, **kwargs):
        raise AssertionError("features recomputed despite the cache")

    monkeypatch.setattr(stats, "compute_features", fail)
    again = stats.reference_features(config, "train", evaluator)
    np.testing.assert_array_equal(again.features, first.features)
    assert again.radii is None
    with_radii = stats.reference_features(config, "train", evaluator, with_radii=True)  # adds radii only
    np.testing.assert_array_equal(with_radii.radii, knn_radii(first.features))
    assert stats.reference_features(config, "train", evaluator).radii is not None  # now cached too


def test_key_changes_with_split_data_and_evaluator(setup, tmp_path: Path):
    config, evaluator, _ = setup
    train, test = stats.load_real(config, "train"), stats.load_real(config, "test")
    sha = evaluator[1].sha256
    keys = {stats.cache_key(train, "train", sha), stats.cache_key(test, "test", sha)}
    keys.add(stats.cache_key(train, "train", "0" * 64))
    changed = train.subset(np.arange(len(train)))
    changed.images[0, 0, 0, 0] ^= 1
    keys.add(stats.cache_key(changed, "train", sha))
    assert len(keys) == 4
    assert stats.cache_key(train, "train", sha) == stats.cache_key(
        stats.load_real(config, "train"), "train", sha
    )


def test_corrupt_cache_is_recomputed_with_a_warning(setup, fashiongan_caplog):
    config, evaluator, cache = setup
    first = stats.reference_features(config, "test", evaluator)
    path = next(cache.iterdir())
    path.write_bytes(b"garbage")
    again = stats.reference_features(config, "test", evaluator)
    np.testing.assert_array_equal(again.features, first.features)
    assert "ignoring unreadable feature cache" in fashiongan_caplog.text
    assert path.stat().st_size > 100  # rewritten


def test_reference_split(tiny_image_folder: Path, tmp_path: Path):
    assert stats.reference_split(DataConfig()) == "test"
    folder = DataConfig(source=str(tiny_image_folder), image_size=28, channels=3)
    assert stats.reference_split(folder) == "train"
