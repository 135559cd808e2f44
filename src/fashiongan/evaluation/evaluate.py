"""Evaluate generated images: every metric against the real reference split, next to the real-data floor.

``evaluate_samples`` measures a uint8 image tensor; ``evaluate_run`` generates from a run folder
first and writes ``eval.json`` and the report; ``evaluate_npz`` does the same for an .npz file from
any generator. The metrics themselves are computed in measure.py; ``quick_evaluate`` (quick.py) is the
cheap subset the training loop calls every few epochs.
The floor is the same metrics for N real training images against the same reference: what a
perfect generator (one that draws new images from the data distribution) would score.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from fashiongan import distributed
from fashiongan.config import DataConfig
from fashiongan.errors import UserError
from fashiongan.evaluation.features import load_evaluator
from fashiongan.evaluation.measure import MIN_IMAGES, measure
from fashiongan.evaluation.quick import quick_evaluate
from fashiongan.evaluation.report import format_table, write_report
from fashiongan.evaluation.result import Evaluation
from fashiongan.evaluation.run_samples import generate_and_extract
from fashiongan.evaluation.samples_npz import load_samples
from fashiongan.io import check_writable_file, check_writable_folder, write_json
from fashiongan.outputs import check_stays_inside

log = logging.getLogger(__name__)

__all__ = ["MIN_IMAGES", "Evaluation", "evaluate_samples", "quick_evaluate", "evaluate_run", "evaluate_npz",
           "format_table"]

DEFAULT_N = 10_000


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
    evaluator = load_evaluator(evaluator_path, device=device)
    return measure(
        images,
        labels,
        data_config,
        evaluator,
        device=device,
        memorisation=memorisation,
        floor=floor,
        seed=seed,
    ).result


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
    from fashiongan.generate import load_run_config
    from fashiongan.run.checkpoint import describe_checkpoint
    from fashiongan.run.device import resolve_device
    from fashiongan.run.model_folder import is_model_folder

    run_dir = Path(run_dir)
    config = load_run_config(run_dir)
    for default, given in ((run_dir / "eval.json", json_path), (run_dir / "eval", report_dir)):
        if given is None:
            check_stays_inside(default, run_dir)  # a link in a downloaded run must not direct writes elsewhere
    json_path, report_dir = json_path or run_dir / "eval.json", report_dir or run_dir / "eval"
    torch_device = distributed.init(resolve_device(device))  # a no-op unless torchrun started several ranks
    distributed.main_only(lambda: check_outputs(json_path, report_dir))
    evaluator = load_evaluator(evaluator_path or config.train.evaluator, device=torch_device)
    images, labels, extracted, generate_seconds = generate_and_extract(
        run_dir, n, seed, checkpoint, torch_device, evaluator[0])

    def on_main() -> dict[str, Any]:
        evaluation = measure(images, labels, config.data, evaluator, device=torch_device, seed=seed,
                               source=str(run_dir), extracted=extracted)
        protocol = evaluation.result["protocol"]
        protocol["generator"] = {"run_dir": str(run_dir), "checkpoint": checkpoint, "seeds": f"{seed}-{seed + n - 1}"}
        if not is_model_folder(run_dir):  # which point of training, and for "best" what chose it
            protocol["generator"] |= describe_checkpoint(run_dir, checkpoint)
        protocol["seconds"]["generate"] = round(generate_seconds, 2)
        protocol["processes"] = distributed.world_size()
        return _finish(evaluation, json_path, report_dir, inception, torch_device)

    return distributed.main_only(on_main)


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
    evaluation = measure(
        images, labels, data_config, evaluator, device=torch_device, seed=seed, source=str(path)
    )
    evaluation.result["protocol"]["samples"] = str(path)
    return _finish(evaluation, json_path, report_dir, inception, torch_device)
