"""The GANs of a v2 study: each cell's GAN, its transfer twin, the transfer source, their numbers and pools.

A cell's GAN is the data-efficient engine's ``fewshot`` preset (adaptive discriminator augmentation, epochs of
20,000 images) trained on the cell's training images only, for an image budget that grows with N (whole
epochs: the same GAN on a fast or a slow machine, alone or beside other ranks). The cell's validation images
are its held-out set: scored in the features of a fixed *random* network (no network trained on other labelled
data takes part), they choose ``checkpoints/best``, which is what every GAN arm samples; only scores from the
second half of the budget may choose (``gan_select_after``: with a few dozen validation images an early, poor
checkpoint can win by chance). The transfer twin is the same recipe started from the source GAN
(``init_from``): one unconditional GAN per study, trained on the training split's images without labels (every
cell's validation images left out). ``fashiongan evaluate`` then measures each GAN at ``eval_n`` images.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch

import fashiongan
from fashiongan.classify.study_plan import StudyPlan, budget_epochs, gan_kimg
from fashiongan.classify.synthetic import SyntheticSource
from fashiongan.config import RunConfig, make_config
from fashiongan.data.dataset import ImageDataset
from fashiongan.io import read_json, write_json
from fashiongan.run.checkpoint import describe_checkpoint
from fashiongan.run.device import resolve_device

log = logging.getLogger(__name__)

RARELY = 1_000_000  # epochs between grids: in effect only the final one
SELECT = {"train.select_kimg": 10.0, "train.select_features": "random", "train.select_n": 500}
SOURCE_PRESET = "fmnist-best"  # the source: the cell recipe's networks, unconditional, without ada
POOL_SEED_BASE = 3_000_000_000  # noise seeds of the pools, apart from other users of generate's seeds
SOURCE_SEED = 0


def with_image_budget(preset: str, overrides: dict[str, Any], kimg: float, num_images: int) -> RunConfig:
    """``preset`` with ``overrides``, trained for the whole epochs nearest to ``kimg`` thousand images."""
    epoch_images = make_config(preset, overrides).train.epoch_images
    epochs = budget_epochs(kimg, num_images, epoch_images)
    return make_config(preset, {**overrides, "train.seconds": None, "train.epochs": epochs})


def cell_gan_config(plan: StudyPlan, per_class: int | None, seed: int, holdout_per_class: int, num_images: int,
                    init_from: Path | None = None) -> RunConfig:
    """The cell GAN's config: ``gan_preset`` for ``gan_kimg(N)`` on ``num_images`` images, held-out choice on
    random features."""
    overrides: dict[str, Any] = {
        "train.seed": seed, "train.device": plan.device, "train.sample_every": RARELY,
        "data.holdout_per_class": holdout_per_class, **SELECT, "train.select_after": plan.gan_select_after,
    }  # fmt: skip
    if init_from is not None:
        overrides["train.init_from"] = str(init_from)
    return with_image_budget(plan.gan_preset, {**overrides, **plan.gan_overrides}, gan_kimg(plan, per_class),
                             num_images)


def source_config(plan: StudyPlan, num_images: int) -> RunConfig:
    """The transfer source: unconditional (labels ignored), ``source_kimg`` thousand images of training."""
    overrides = {"model.conditional": False, "train.aux_weight": 0.0, "train.seed": SOURCE_SEED,
                 "train.device": plan.device, "train.sample_every": RARELY}
    tiny = {k: v for k, v in plan.gan_overrides.items()
            if k.startswith("model.") or k in ("train.batch_size", "train.epoch_images")}
    return with_image_budget(SOURCE_PRESET, {**overrides, **tiny}, plan.source_kimg, num_images)


def train_gan(config: RunConfig, run_dir: Path, train: ImageDataset, holdout: ImageDataset | None) -> float:
    """Train (or continue) a GAN on ``train`` only; returns the wall seconds this call took."""
    started = time.perf_counter()
    resume = (run_dir / "checkpoints" / "last").is_dir()
    result = fashiongan.train(config, run_dir, resume=resume, progress_bar=False, data=train, holdout=holdout)
    if result.interrupted:
        raise KeyboardInterrupt
    return time.perf_counter() - started


def evaluate_gan(plan: StudyPlan, run_dir: Path) -> dict[str, Any]:
    """The numbers of ``checkpoints/best`` from ``fashiongan evaluate`` (kept in RUN/eval.json once done)."""
    chosen = describe_checkpoint(run_dir, "best")
    numbers: dict[str, Any] = {"checkpoint_step": chosen["step"], "checkpoint_images": chosen["images_seen"],
                               "eval_n": plan.eval_n}
    if plan.eval_n == 0:
        return numbers
    path = run_dir / "eval.json"
    if path.is_file():
        result = read_json(path, "evaluation")
    else:
        result = fashiongan.evaluate_run(run_dir, n=plan.eval_n, checkpoint="best", device=plan.device,
                                         json_path=path, report_dir=run_dir / "eval")
    pixel = ((result.get("memorisation") or {}).get("pixel") or {})
    numbers |= {key: result.get(key) for key in ("fid", "precision", "recall", "class_accuracy")}
    numbers["copies"] = pixel.get("share_below_holdout_p01")
    return numbers


def run_cell_gan(plan: StudyPlan, per_class: int | None, seed: int, train: ImageDataset, val: ImageDataset,
                 holdout_per_class: int, run_dir: Path, init_from: Path | None = None) -> dict[str, Any]:
    """Train a cell's GAN (or its transfer twin) and measure it; the record is kept in RUN/study_gan.json."""
    record_path = run_dir / "study_gan.json"
    if record_path.is_file():
        return read_json(record_path, "study GAN record")
    config = cell_gan_config(plan, per_class, seed, holdout_per_class, len(train), init_from)
    wall = train_gan(config, run_dir, train, val)
    started = time.perf_counter()
    last = describe_checkpoint(run_dir, "last")
    record = {"budget_kimg": gan_kimg(plan, per_class), "epochs": config.train.epochs,
              "images_trained": last["images_seen"], "wall_seconds": round(wall, 1), "preset": plan.gan_preset,
              "init_from": config.train.init_from, "steps_trained": last["step"], **evaluate_gan(plan, run_dir)}
    record["eval_seconds"] = round(time.perf_counter() - started, 1)
    write_json(record_path, record)
    return record


def train_source(plan: StudyPlan, data: ImageDataset, run_dir: Path) -> dict[str, Any]:
    """Train the study's transfer source (once; a re-run finds its record); ``data`` is unlabelled in effect."""
    record_path = run_dir / "study_source.json"
    if record_path.is_file():
        return read_json(record_path, "transfer source record")
    config = source_config(plan, len(data))
    wall = train_gan(config, run_dir, data, None)
    record = {"images": len(data), "budget_kimg": plan.source_kimg, "epochs": config.train.epochs,
              "wall_seconds": round(wall, 1), "preset": SOURCE_PRESET, "conditional": False}
    write_json(record_path, record)
    return record


def wait_for_source(run_dir: Path, poll_seconds: float = 10.0) -> None:
    """Another shard trains the source: wait for its record (a log line says so)."""
    if not (run_dir / "study_source.json").is_file():
        log.info("waiting for shard 1 to train the transfer source in %s", run_dir)
    while not (run_dir / "study_source.json").is_file():
        time.sleep(poll_seconds)


def sample_pool(plan: StudyPlan, run_dir: Path, class_names: list[str], per_class: int, seed: int) -> ImageDataset:
    """``per_class`` images of each class from the run's ``checkpoints/best``, labelled with the class asked for.

    Drawn through the one sampling path from fixed noise seeds, so a resumed cell draws the same pool.
    """
    source = SyntheticSource.open(run_dir, class_names, resolve_device(plan.device), checkpoint="best")
    labels = torch.arange(len(class_names)).repeat_interleave(per_class)
    pool = source.draw(labels, POOL_SEED_BASE + seed * 100_000_000)
    return ImageDataset(pool.images, pool.labels, list(class_names))
