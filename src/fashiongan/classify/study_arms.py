"""The arms of a v2 cell: which classifiers it trains, how each is trained, and which ratio each GAN arm keeps.

Every arm trains the same classifier recipe for the same number of passes over the cell's real training
images (``Recipe``); extra images (GAN samples or pseudo-labelled ones) are *added*, ratio R of them per
real image and pass, drawn each epoch from a pool, so an arm with ratio R takes (1 + R) x the steps. The
GAN-only arm trains on GAN images alone, as many per pass as there are real images (the Classification
Accuracy Score's setting). A GAN arm is trained at each ratio of the cell's grid and keeps the one with
the best validation accuracy in that cell; its augmentation applies to real and extra images alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.study_plan import Recipe, StudyPlan
from fashiongan.classify.train import train_classifier
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.splits import Splits, repeat_to
from fashiongan.io import read_json

NON_GAN = {"real": "none", "classic": "classic", "strong": "strong"}  # arm -> augmentation
GAN_ARMS = {"real+gan": "none", "classic+gan": "classic", "strong+gan": "strong"}
BEST_GAN = "best+gan"  # GAN images on top of the cell's best non-GAN arm (chosen on the cell's validation)
GAN_ONLY, TRANSFER, PSEUDO = "gan-only", "transfer+gan", "pseudo-label"
ARM_ORDER = [*NON_GAN, *GAN_ARMS, BEST_GAN, GAN_ONLY, PSEUDO, TRANSFER]  # the report's columns


@dataclass(frozen=True)
class Arm:
    """One classifier of a cell: its report name, augmentation, ratio and which pool it draws from."""

    name: str
    augment: str
    ratio: float | None = None  # extra images per real image and pass (None: none)
    pool: str | None = None  # "gan", "transfer" or "pseudo"
    synthetic_only: bool = False

    @property
    def folder(self) -> str:
        return self.name if self.ratio is None else f"{self.name}-r{self.ratio:g}"


def base_arms() -> list[Arm]:
    return [Arm(name, augment) for name, augment in NON_GAN.items()]


def gan_arms(ratios: list[float], best_augment: str | None = None, gan_only: bool = True) -> list[Arm]:
    """The cell-GAN arms at every ratio of the grid: each augmentation + GAN, or (``best_augment`` given) only
    ``best+gan`` with that augmentation; then GAN only (``gan_only``)."""
    pairs = GAN_ARMS.items() if best_augment is None else [(BEST_GAN, best_augment)]
    arms = [Arm(name, augment, r, "gan") for name, augment in pairs for r in ratios]
    return arms + ([Arm(GAN_ONLY, "none", 1.0, "gan", synthetic_only=True)] if gan_only else [])


def transfer_arms(ratios: list[float], augment: str) -> list[Arm]:
    """The transfer GAN arm and its pseudo-label baseline, with the cell's best non-GAN augmentation."""
    return [Arm(name, augment, r, pool) for name, pool in ((TRANSFER, "transfer"), (PSEUDO, "pseudo"))
            for r in ratios]


@dataclass
class CellRun:
    """What every arm of one cell shares."""

    plan: StudyPlan
    seed: int
    train: ImageDataset  # the cell's real training images
    val: ImageDataset
    test: ImageDataset
    recipe: Recipe
    work: Path  # the cell's work folder
    per_class: int | None = None  # the cell's N (None: all)


def arm_config(run: CellRun, arm: Arm) -> ClassifyConfig:
    plan = run.plan
    return ClassifyConfig(data=plan.data, data_dir=plan.data_dir, preset=plan.classifier_preset, augment=arm.augment,
                          epochs=run.recipe.epochs, batch_size=run.recipe.batch_size, seed=run.seed,
                          device=plan.device, precision=plan.precision, synthetic_ratio=arm.ratio or 1.0,
                          synthetic_only=arm.synthetic_only)


def train_arm(run: CellRun, arm: Arm, pool: ImageDataset | None = None) -> dict[str, Any]:
    """Train and test one arm's classifier (or read its finished metrics); returns its row."""
    run_dir = run.work / arm.folder
    started = time.perf_counter()
    if (run_dir / "metrics.json").is_file():
        metrics = read_json(run_dir / "metrics.json", "arm metrics")
    else:
        real = repeat_to(run.train, run.recipe.repeats * len(run.train))  # `repeats` passes per epoch
        splits = Splits(real, run.val, run.test, "official")
        result = train_classifier(arm_config(run, arm), run_dir, resume=(run_dir / "checkpoints").is_dir(),
                                  splits=splits, progress_bar=False, plots=False, pool=pool)
        if result.interrupted:
            raise KeyboardInterrupt
        metrics = result.metrics
    return {"arm": arm.name, "augment": arm.augment, "ratio": arm.ratio, "pool": arm.pool,
            "test_accuracy": metrics["test_accuracy"], "val_accuracy": metrics["val_accuracy"],
            "real_images_shown": metrics.get("real_images_shown"),
            "synthetic_images_shown": metrics.get("synthetic_images_shown"), "steps": metrics["steps"],
            "train_seconds": metrics["train_seconds"], "seconds": round(time.perf_counter() - started, 1)}


def mark_chosen(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set ``chosen`` on each arm's row with the best validation accuracy (ties: the lower ratio)."""
    best: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["ratio"] or 0.0):
        if row["arm"] not in best or row["val_accuracy"] > best[row["arm"]]["val_accuracy"]:
            best[row["arm"]] = row
    for row in rows:
        row["chosen"] = best[row["arm"]] is row
    return rows


def best_non_gan(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The cell's non-GAN row with the best validation accuracy (ties: the first of real, classic, strong)."""
    candidates = [row for row in rows if row["arm"] in NON_GAN]
    return max(candidates, key=lambda row: row["val_accuracy"])
