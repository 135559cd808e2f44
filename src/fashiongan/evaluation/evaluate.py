"""Evaluate generated images: every metric against the real reference split, next to the real-data floor.

``evaluate_samples`` measures a uint8 image tensor; ``evaluate_run`` generates from a run folder
first and writes ``eval.json`` and the report; ``evaluate_npz`` does the same for an .npz file from
any generator; ``quick_evaluate`` is the cheap subset the training loop calls every few epochs.
The floor is the same metrics for N real training images against the same reference: what a
perfect generator (one that draws new images from the data distribution) would score.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fashiongan import __version__, distributed
from fashiongan.config import DataConfig
from fashiongan.errors import UserError
from fashiongan.evaluation.features import SHIPPED_WEIGHTS, EvaluatorInfo, compute_features, load_evaluator
from fashiongan.evaluation.inception_score import DEFAULT_SPLITS
from fashiongan.evaluation.kid import DEFAULT_SUBSET_SIZE, DEFAULT_SUBSETS
from fashiongan.evaluation.memorisation import DEFAULT_M, NearestTrain
from fashiongan.evaluation.metrics import feature_metrics, memorisation_metrics
from fashiongan.evaluation.network import EvaluatorNet
from fashiongan.evaluation.prdc import DEFAULT_K
from fashiongan.evaluation.report import format_table, write_report
from fashiongan.evaluation.run_samples import generate_and_extract
from fashiongan.evaluation.samples_npz import check_labels_range, load_samples
from fashiongan.evaluation.stats import Reference, cached_result, load_real, reference_features, reference_split
from fashiongan.io import check_writable_file, check_writable_folder, write_json

log = logging.getLogger(__name__)

__all__ = ["evaluate_samples", "quick_evaluate", "evaluate_run", "evaluate_npz", "format_table"]

DEFAULT_N = 10_000
MIN_IMAGES = 10
QUICK_KID_SUBSETS = 20

Evaluator = tuple[EvaluatorNet, EvaluatorInfo]


@dataclass
class Evaluation:
    """The JSON-ready result plus the arrays the report draws from."""

    result: dict[str, Any]
    images: torch.Tensor
    labels: torch.Tensor | None
    class_names: list[str]  # the data's classes (what labels index)
    reference_images: torch.Tensor
    predicted: np.ndarray  # (N,) the evaluator's class for each image
    evaluator_class_names: list[str]  # what predicted indexes
    train_images: torch.Tensor | None = None
    nearest: dict[str, NearestTrain] = field(default_factory=dict)  # "pixel", "feature"
    nearest_ids: np.ndarray | None = None  # which generated images were searched


def _check_fit(images: torch.Tensor, info: EvaluatorInfo, source: str) -> None:
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


def _label_map(info: EvaluatorInfo, class_names: list[str]) -> np.ndarray | None:
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


def _evaluate(
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
    _check_fit(images, info, source)
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
    label_map = None if labels is None else _label_map(info, reference_data.class_names)
    class_labels = None if label_map is None else label_map[labels.numpy()]
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
        floor_labels = None if label_map is None else label_map[train_ref.labels[pick]]
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


def _load(
    evaluator: Evaluator | None, evaluator_path: str | Path | None, device: str | torch.device
) -> Evaluator:
    return evaluator if evaluator is not None else load_evaluator(evaluator_path, device=device)


def evaluate_samples(
    images: torch.Tensor,
    labels: torch.Tensor | None,
    data_config: DataConfig,
    *,
    evaluator_path: str | Path | None = None,
    device: str | torch.device = "cpu",
    memorisation: bool = True,
    floor: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """Every metric for uint8 ``images`` (N, C, H, W), with optional requested ``labels`` (N,), JSON-ready.

    Compares with the reference split of ``data_config``'s data (its test split where it has one),
    adds ``floor`` (N real training images, same metrics) and the ``protocol`` that produced them.
    """
    evaluator = _load(None, evaluator_path, device)
    return _evaluate(
        images,
        labels,
        data_config,
        evaluator,
        device=device,
        memorisation=memorisation,
        floor=floor,
        seed=seed,
    ).result


_QUICK_REFERENCES: dict[tuple[Any, ...], Reference] = {}  # the training loop calls quick_evaluate often


def quick_evaluate(
    images: torch.Tensor,
    labels: torch.Tensor | None,
    data_config: DataConfig,
    *,
    evaluator: Evaluator | None = None,
    device: str | torch.device = "cpu",
) -> dict[str, Any]:
    """fid, kid, kid_std, precision, recall and class_accuracy (None without labels), for in-training use.

    The reference features are cached on disk and, within one process, in memory. Pass the
    ``(net, info)`` pair from ``load_evaluator`` as ``evaluator`` to load it only once. Numbers from
    a different N are not comparable with ``evaluate``'s (FID in particular is biased upwards at small N).
    """
    evaluator = _load(evaluator, None, device)
    net, info = evaluator
    images, labels = images.cpu(), None if labels is None else labels.cpu()
    _check_fit(images, info, "the generator")
    check_labels_range(labels, info.num_classes, "the generator")
    split = reference_split(data_config)
    memo_key = (info.sha256, split, tuple(sorted(vars(data_config).items())))
    if memo_key not in _QUICK_REFERENCES:
        _QUICK_REFERENCES[memo_key] = reference_features(
            data_config, split, evaluator, device, with_radii=True
        )
    ref = _QUICK_REFERENCES[memo_key]
    features, probs = compute_features(net, images, device=device)
    label_map = None if labels is None else _label_map(info, ref.class_names)
    class_labels = None if label_map is None else label_map[labels.numpy()]
    return feature_metrics(features, probs, class_labels, ref, kid_subsets=QUICK_KID_SUBSETS, full=False)


def _add_inception(evaluation: Evaluation, device: str | torch.device) -> None:
    """Standard InceptionV3 FID/KID where the optional library and its weights are present."""
    if torch.device(device).type == "cpu":
        total = len(evaluation.reference_images) + len(evaluation.images)
        log.warning("InceptionV3 at 299x299 on the CPU: %d images can take tens of minutes", total)
    try:
        from fashiongan.evaluation.inception import inception_fid_kid

        evaluation.result["inception"] = inception_fid_kid(
            evaluation.reference_images, evaluation.images, device
        )
    except UserError as exc:
        evaluation.result["inception"] = {"error": str(exc)}


def _finish(
    evaluation: Evaluation,
    json_path: str | Path | None,
    report_dir: str | Path | None,
    inception: bool,
    device: torch.device,
) -> dict[str, Any]:
    """Add the optional Inception numbers, then write eval.json and the report where asked."""
    if inception:
        _add_inception(evaluation, device)
    result = evaluation.result
    result["outputs"] = {"json": str(json_path) if json_path else None, "report": None}
    if report_dir is not None:
        result["outputs"]["report"] = str(Path(report_dir) / "report.md")
    if json_path is not None:
        write_json(json_path, result)
    if report_dir is not None:
        write_report(evaluation, report_dir)
    return result


def check_outputs(json_path: str | Path | None, report_dir: str | Path | None) -> None:
    """Fail at once, not after minutes of features, when eval.json or the report cannot be written."""
    if json_path is not None:
        check_writable_file(json_path, "evaluation JSON")
    if report_dir is not None:
        check_writable_folder(report_dir, "report folder")


def evaluate_run(
    run_dir: str | Path,
    n: int = DEFAULT_N,
    *,
    seed: int = 0,
    checkpoint: str = "last",
    json_path: str | Path | None = None,
    report_dir: str | Path | None = None,
    device: str = "auto",
    inception: bool = False,
    evaluator_path: str | Path | None = None,
) -> dict[str, Any] | None:
    """Generate ``n`` images from a run (seeds seed..seed+n-1, classes cycling) and evaluate them.

    Writes ``json_path`` (default RUN_DIR/eval.json) atomically and the report into ``report_dir``
    (default RUN_DIR/eval/). Returns the result dict. Under torchrun every rank generates and extracts
    features for its share of the images, rank 0 gathers them, measures, writes and returns the result;
    the other ranks return None.
    """
    from fashiongan.export.hub import is_model_folder
    from fashiongan.generate import load_run_config
    from fashiongan.run.checkpoint import describe_checkpoint
    from fashiongan.run.device import resolve_device

    run_dir = Path(run_dir)
    config = load_run_config(run_dir)
    json_path, report_dir = json_path or run_dir / "eval.json", report_dir or run_dir / "eval"
    torch_device = distributed.init(resolve_device(device))  # a no-op unless torchrun started several ranks
    distributed.main_only(lambda: check_outputs(json_path, report_dir))
    evaluator = load_evaluator(evaluator_path or config.train.evaluator, device=torch_device)
    images, labels, extracted, generate_seconds = generate_and_extract(
        run_dir, n, seed, checkpoint, torch_device, evaluator[0])

    def measure() -> dict[str, Any]:
        evaluation = _evaluate(images, labels, config.data, evaluator, device=torch_device, seed=seed,
                               source=str(run_dir), extracted=extracted)
        protocol = evaluation.result["protocol"]
        protocol["generator"] = {"run_dir": str(run_dir), "checkpoint": checkpoint, "seeds": f"{seed}-{seed + n - 1}"}
        if not is_model_folder(run_dir):
            protocol["generator"] |= describe_checkpoint(run_dir, checkpoint)
        protocol["seconds"]["generate"] = round(generate_seconds, 2)
        protocol["processes"] = distributed.world_size()
        return _finish(evaluation, json_path, report_dir, inception, torch_device)

    return distributed.main_only(measure)


def evaluate_npz(
    path: str | Path,
    data: str = "fmnist",
    *,
    data_dir: str | None = None,
    seed: int = 0,
    json_path: str | Path | None = None,
    report_dir: str | Path | None = None,
    device: str = "auto",
    inception: bool = False,
    evaluator_path: str | Path | None = None,
) -> dict[str, Any]:
    """Evaluate images from an .npz file (``images`` uint8 (N, H, W) or (N, H, W, 3), optional ``labels``).

    ``data`` is the real data to compare with: "fmnist" (files found by the locator, or in
    ``data_dir``) or an image folder, read at the npz images' size and channel count. Files are
    written only where ``json_path`` / ``report_dir`` are given.
    """
    from fashiongan.run.device import resolve_device

    check_outputs(json_path, report_dir)
    images, labels = load_samples(path)
    if data == "fmnist":
        data_config = DataConfig(data_dir=data_dir)
    else:
        data_config = DataConfig(source=data, image_size=images.shape[-1], channels=images.shape[1])
    torch_device = resolve_device(device)
    evaluator = load_evaluator(evaluator_path, device=torch_device)
    evaluation = _evaluate(
        images, labels, data_config, evaluator, device=torch_device, seed=seed, source=str(path)
    )
    evaluation.result["protocol"]["samples"] = str(path)
    return _finish(evaluation, json_path, report_dir, inception, torch_device)
