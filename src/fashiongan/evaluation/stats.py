"""Evaluator features of real data, cached on disk under a hash of everything that produced them.

Computing features for the 60,000 Fashion-MNIST training images takes a minute or two on a small
CPU, and every evaluation needs them (the test split as reference, the training split for the
floor and the memorisation check), so they are computed once and kept in the user cache folder
as a safetensors file. The cache key hashes the evaluator's sha256, the split and the decoded
image and label bytes themselves, so a different evaluator, a changed folder or a changed image
size or channel count can never reuse a stale file (hashing 47 MB of pixels takes ~0.1 s).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fashiongan.config import DataConfig
from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.evaluation.features import EvaluatorInfo, compute_features
from fashiongan.evaluation.fid import feature_stats
from fashiongan.evaluation.network import EvaluatorNet
from fashiongan.evaluation.prdc import DEFAULT_K, knn_radii
from fashiongan.io import load_tensors, read_json, save_tensors, write_json

log = logging.getLogger(__name__)

CACHE_VERSION = "1"  # bump when the cached contents or their meaning change
CACHE_SUBDIR = "reference-features"


@dataclass
class Reference:
    """Evaluator outputs for one split of a real dataset, with the statistics the metrics reuse."""

    split: str
    features: np.ndarray  # (N, D) float64
    probs: np.ndarray  # (N, K) float64
    labels: np.ndarray  # (N,) int64
    mean: np.ndarray  # (D,) float64
    cov: np.ndarray  # (D, D) float64
    key: str  # the cache key (also names the cache file)
    class_names: list[str]
    radii: np.ndarray | None = None  # k-NN radii (k = DEFAULT_K) among these features, when asked for

    def __len__(self) -> int:
        return int(self.features.shape[0])


def reference_split(data_config: DataConfig) -> str:
    """The split generated images are compared with: "test" where the data has one, else "train"."""
    if data_config.source == "fmnist":
        return "test"
    from fashiongan.data.load import has_test_split

    return "test" if has_test_split(data_config) else "train"


def load_real(data_config: DataConfig, split: str) -> ImageDataset:
    """A whole split of the real data (``--limit`` ignored: it restricts training, not the reference)."""
    from fashiongan.data.load import load_dataset

    return load_dataset(dataclasses.replace(data_config, limit=None), split=split)


def cache_key(dataset: ImageDataset, split: str, evaluator_sha256: str) -> str:
    """Hex digest naming one (evaluator, split, exact images and labels) combination."""
    digest = hashlib.sha256()
    for part in (CACHE_VERSION, evaluator_sha256, split, "\n".join(dataset.class_names)):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(str(tuple(dataset.images.shape)).encode("ascii"))
    digest.update(dataset.images.contiguous().numpy().tobytes())
    digest.update(dataset.labels.contiguous().numpy().tobytes())
    return digest.hexdigest()[:32]


def cache_path(key: str) -> Path:
    from fashiongan.paths import user_cache_dir

    return user_cache_dir() / CACHE_SUBDIR / f"{key}.safetensors"


def cached_result(parts: list[Any], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()``, kept as JSON in the cache under a hash of ``parts`` (everything the result depends on).

    For the floor: the same real images, reference and settings always give the same numbers, and they
    cost about as much as the generated images' own metrics.
    """
    key = hashlib.sha256(json.dumps([CACHE_VERSION, *parts], sort_keys=True).encode()).hexdigest()[:32]
    path = cache_path(f"result-{key}").with_suffix(".json")
    if path.is_file():
        try:
            saved = read_json(path, "cached result")
            if isinstance(saved, dict):
                return saved
        except UserError as exc:
            log.warning("ignoring unreadable cached result %s (%s); recomputing it", path, exc)
    result = compute()
    try:
        write_json(path, result)
    except OSError as exc:  # a read-only cache costs time, not correctness
        log.warning("could not write the cached result %s (%s)", path, exc)
    return result


def _read_cache(path: Path, key: str, split: str, class_names: list[str]) -> Reference | None:
    if not path.is_file():
        return None
    try:
        t = load_tensors(path, what="cached reference features")
        ref = Reference(
            split=split,
            features=t["features"].numpy(),
            probs=t["probs"].numpy(),
            labels=t["labels"].numpy(),
            mean=t["mean"].numpy(),
            cov=t["cov"].numpy(),
            key=key,
            class_names=list(class_names),
            radii=t["radii"].numpy() if "radii" in t else None,
        )
    except (UserError, KeyError) as exc:
        log.warning("ignoring unreadable feature cache %s (%s); recomputing it", path, exc)
        return None
    return ref


def _write_cache(path: Path, ref: Reference) -> None:
    tensors = {
        name: torch.from_numpy(np.ascontiguousarray(getattr(ref, name)))
        for name in ("features", "probs", "labels", "mean", "cov")
    }
    if ref.radii is not None:
        tensors["radii"] = torch.from_numpy(ref.radii)
    try:
        save_tensors(
            path, tensors, metadata={"split": ref.split, "k": str(DEFAULT_K), "version": CACHE_VERSION}
        )
    except OSError as exc:  # a read-only cache costs time, not correctness
        log.warning("could not write the feature cache %s (%s)", path, exc)


def reference_features(
    data_config: DataConfig,
    split: str,
    evaluator: tuple[EvaluatorNet, EvaluatorInfo],
    device: str | torch.device = "cpu",
    *,
    dataset: ImageDataset | None = None,
    with_radii: bool = False,
) -> Reference:
    """Features, class probabilities, labels, mean and covariance of a real split, from the cache if there.

    ``evaluator`` is the ``(net, info)`` pair of ``load_evaluator``. Pass ``dataset`` when the split
    is already loaded. ``with_radii`` also computes (once, then cached) the k-NN radii that
    precision, recall, density and coverage need for this set as the real side.
    """
    net, info = evaluator
    if dataset is None:
        dataset = load_real(data_config, split)
    key = cache_key(dataset, split, info.sha256)
    path = cache_path(key)
    ref = _read_cache(path, key, split, dataset.class_names)
    if ref is None:
        log.info(
            "computing evaluator features for the %s split (%d images, cached afterwards)",
            split,
            len(dataset),
        )
        features, probs = compute_features(net, dataset.images, device=device)
        mean, cov = feature_stats(features)
        labels = dataset.labels.numpy().copy()
        ref = Reference(split, features, probs, labels, mean, cov, key, list(dataset.class_names))
        if with_radii:
            ref.radii = knn_radii(features, DEFAULT_K)
        _write_cache(path, ref)
    elif with_radii and ref.radii is None:
        ref.radii = knn_radii(ref.features, DEFAULT_K)
        _write_cache(path, ref)
    return ref
