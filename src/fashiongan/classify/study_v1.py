"""The first augmentation study (protocol v1, `--protocol v1`; v2 in study.py is the default).

Does a GAN trained on N real images per class improve a classifier trained on them?

A cell is (N per class, seed). For each cell: draw N real training images per class with that seed; train the
conditional GAN on that subset only (a fixed time budget); train the classifier on (a) the subset, (b) the
subset with classic augmentation, (c) classic augmentation + GAN images at each ratio; test each on the full
official test split. Each cell's result is written atomically as it finishes, so a re-run skips finished
cells, and cells can be spread over processes (``shard``) or torchrun ranks. ``study_report`` merges them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

import fashiongan
from fashiongan import distributed
from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.gan_budget import gan_config, gan_preset
from fashiongan.classify.study_plan import cell_name, shard_cells
from fashiongan.classify.train import train_classifier
from fashiongan.config import DataConfig
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.load import load_dataset
from fashiongan.data.splits import Splits, per_class_indices, repeat_to, stratified_indices
from fashiongan.errors import UserError
from fashiongan.io import read_json, sha256_file, write_json
from fashiongan.validation import Rule, check_object

log = logging.getLogger(__name__)

VAL_PER_CLASS = 100  # validation images per class, held out of every cell's draw (fixed seed)
VAL_SEED = 12345
OPTIONAL_LEVERS = ("truncation",)  # StudyPlan fields added after studies were saved
MIN_EPOCH_IMAGES = 2560  # a small subset is repeated up to this many images per epoch (fewer tiny epochs)


@dataclass
class StudyPlan:
    """What a study measures; saved as OUT/study.json and checked on every re-run."""

    per_class: list[int | None] = field(default_factory=lambda: [10, 25, 50, 100, 500, None])  # None: all
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    ratios: list[float] = field(default_factory=lambda: [0.5, 1.0, 2.0, 3.0])
    gan_seconds: float = 180.0
    gan_preset: str = ""  # "" : the strongest Fashion-MNIST preset (fmnist-best when it exists, else fmnist)
    classifier_preset: str = "fmnist-cnn"
    classifier_steps: int = 300  # optimizer steps per arm, the same for every arm
    data: str = "fmnist"
    data_dir: str | None = None
    device: str = "auto"
    gan_overrides: dict[str, Any] = field(default_factory=dict)  # extra GAN config keys (levers; tiny tests)
    filter_confidence: float | None = None  # also GAN arms whose images the real arm's classifier accepts
    truncation: float | None = None  # also GAN arms sampling with this noise std (fidelity for variety)

    def arms(self) -> list[tuple[str, str, float | None]]:
        """(arm name, augmentation, GAN ratio or None) for each classifier a cell trains, the real arm first."""
        filtered = [(f"classic+gan@{r:g}+filter", "classic", r) for r in self.ratios] if self.filter_confidence else []
        truncated = [(f"classic+gan@{r:g}+trunc", "classic", r) for r in self.ratios] if self.truncation else []
        return [("real", "none", None), ("classic", "classic", None),
                *((f"classic+gan@{r:g}", "classic", r) for r in self.ratios), *filtered, *truncated]

    def cells(self) -> list[tuple[int | None, int]]:
        return [(n, seed) for n in self.per_class for seed in self.seeds]

    def comparable(self) -> dict[str, Any]:
        """The fields that must match for cells of two runs to belong to one study (not the device). A lever
        that is off is left out, so a study saved before that lever existed can still be continued."""
        return {k: v for k, v in dataclasses.asdict(self).items()
                if k not in ("device", "data_dir") and not (k in OPTIONAL_LEVERS and v is None)}


@dataclass
class StudyData:
    """The pool cells draw from (training split minus validation), the validation and the test split."""

    train: ImageDataset  # the whole official training split
    pool: torch.Tensor  # positions in ``train`` that cells may draw from
    val: ImageDataset  # VAL_PER_CLASS per class, never in any cell's draw
    test: ImageDataset


def load_study_data(plan: StudyPlan) -> StudyData:
    config = DataConfig(source=plan.data, data_dir=plan.data_dir)
    train, test = load_dataset(config, "train"), load_dataset(config, "test")
    fraction = min(0.5, VAL_PER_CLASS * train.num_classes / len(train))
    pool, val = stratified_indices(train.labels, fraction, VAL_SEED)
    return StudyData(train, pool, train.subset(val), test)


def cell_subset(data: StudyData, per_class: int | None, seed: int) -> torch.Tensor:
    """Positions (in the training split) of the cell's real images: ``per_class`` of each class, seeded."""
    if per_class is None:
        return data.pool
    return data.pool[per_class_indices(data.train.labels[data.pool], per_class, seed)]


def train_cell_gan(plan: StudyPlan, real: ImageDataset, seed: int, run_dir: Path) -> Path:
    """Train the cell's conditional GAN on ``real`` only (its time budget), resuming an interrupted one."""
    epoch_images = repeat_to(real, MIN_EPOCH_IMAGES)
    config = gan_config(gan_preset(plan.gan_preset), plan.gan_seconds, seed, len(epoch_images), plan.device,
                        plan.gan_overrides)
    done = (run_dir / "checkpoints" / "last").is_dir()
    fashiongan.train(config, run_dir, resume=done, progress_bar=False, data=epoch_images)
    return run_dir


def train_arm(plan: StudyPlan, arm: tuple[str, str, float | None], splits: Splits, gan_dir: Path, seed: int,
              run_dir: Path) -> dict[str, Any]:
    """Train and test one arm's classifier (or read its finished metrics); returns its numbers."""
    name, augment, ratio = arm
    if (run_dir / "metrics.json").is_file():
        metrics = read_json(run_dir / "metrics.json", "arm metrics")
    else:
        config = ClassifyConfig(
            data=plan.data, data_dir=plan.data_dir, preset=plan.classifier_preset, augment=augment,
            synthetic=str(gan_dir) if ratio is not None else None, synthetic_ratio=ratio or 1.0,
            max_steps=plan.classifier_steps, seed=seed, device=plan.device,
        )  # fmt: skip
        if name.endswith("+filter"):  # the cell's real-only classifier judges each GAN image
            config.synthetic_filter = str(run_dir.parent / "real")
            config.synthetic_min_confidence = plan.filter_confidence or 0.5
        if name.endswith("+trunc"):
            config.synthetic_truncation = plan.truncation or 1.0
        resume = (run_dir / "checkpoints").is_dir()
        metrics = train_classifier(config, run_dir, resume=resume, splits=splits, progress_bar=False,
                                   plots=False).metrics
    return {"arm": name, "augment": augment, "ratio": ratio, "test_accuracy": metrics["test_accuracy"],
            "val_accuracy": metrics["val_accuracy"], "train_seconds": metrics["train_seconds"]}


def run_cell(plan: StudyPlan, data: StudyData, per_class: int | None, seed: int, out: Path) -> dict[str, Any]:
    """Run one cell and write OUT/cells/<name>.json (atomically); returns what it wrote."""
    name = cell_name(per_class, seed)
    work = out / "work" / name
    positions = cell_subset(data, per_class, seed)
    real = data.train.subset(positions)
    started = time.perf_counter()
    gan_dir = train_cell_gan(plan, real, seed, work / "gan")
    gan_seconds = time.perf_counter() - started
    splits = Splits(repeat_to(real, MIN_EPOCH_IMAGES), data.val, data.test, "official")
    arms = [train_arm(plan, arm, splits, gan_dir, seed, work / arm[0].replace("@", "-")) for arm in plan.arms()]
    result = {
        "cell": name, "per_class": per_class, "seed": seed, "real_images": len(real),
        "real_per_class": torch.bincount(real.labels, minlength=real.num_classes).tolist(),
        "subset_sha256": subset_digest(positions), "gan_run": str(gan_dir.relative_to(out)),
        "gan_weights_sha256": sha256_file(gan_dir / "checkpoints" / "last" / "generator.safetensors"),
        "gan_preset": gan_preset(plan.gan_preset),
        "gan_budget_key": "train.seconds",
        "gan_wall_seconds": round(gan_seconds, 1), "cell_seconds": round(time.perf_counter() - started, 1),
        "arms": arms,
    }  # fmt: skip
    write_json(out / "cells" / f"{name}.json", result)
    return result


def subset_digest(positions: torch.Tensor) -> str:
    """A short fingerprint of which training images a cell drew (the same draw gives the same digest)."""
    import hashlib

    return hashlib.sha256(positions.to(torch.int64).numpy().tobytes()).hexdigest()[:16]


def check_plan(plan: StudyPlan, out: Path) -> None:
    """Write OUT/study.json, or refuse to mix cells of a different plan into the same folder."""
    path = out / "study.json"
    if path.is_file():
        saved = check_object(read_json(path, "study plan"), {"comparable": Rule(dict), "protocol": Rule(str)}, path,
                             required=("comparable",), what="the settings of a study")
        if saved.get("protocol", "v1") != "v1":
            raise UserError(f"{out} holds a study of protocol {saved['protocol']} ({path}); use another --out, or "
                            f"--protocol {saved['protocol']} to continue it")
        if saved.get("comparable") != plan.comparable():
            raise UserError(f"{out} holds a study with other settings ({path}); use another --out, or the same "
                            "settings to continue it")
    else:
        write_json(path, {"comparable": plan.comparable(), "plan": dataclasses.asdict(plan)})


def run_study(plan: StudyPlan, out: str | Path, shard: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """Run this process's share of the cells, skipping finished ones; returns the results of the cells it ran."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    check_plan(plan, out)
    todo = [c for c in shard_cells(plan.cells(), shard)[0] if not (out / "cells" / f"{cell_name(*c)}.json").is_file()]
    distributed.work_alone()  # with --shard under torchrun too: every cell trains in this process alone
    if not todo:
        log.info("every cell of this share is done")
        return []
    data = load_study_data(plan)
    results = []
    for i, (per_class, seed) in enumerate(todo, 1):
        log.info("cell %d/%d: %s", i, len(todo), cell_name(per_class, seed))
        results.append(run_cell(plan, data, per_class, seed, out))
    return results
