"""What a v2 augmentation study measures (the plan), how its cells are named and shared out, and the rules
that size each cell: the classifier's passes over its real images and its GAN's image budget.

The plan is saved as OUT/study.json with the protocol's name; a re-run with other settings, or into a
folder of another protocol, is refused with one line. docs/classify.md explains every number here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from fashiongan import distributed
from fashiongan.data.batches import epoch_repeats
from fashiongan.errors import UserError
from fashiongan.io import read_json, write_json
from fashiongan.validation import Rule, check_object

PROTOCOL = "v2"
FULL_PER_CLASS = 6000  # Fashion-MNIST's images per class: where N = all sits on the GAN budget's log scale
MIN_EVAL_N = 100  # generated images per GAN evaluation, at least (0: no evaluation)
EPOCH_IMAGES = 2560  # a small training set is repeated whole within an epoch up to this many images
LEGACY = {"gan_select_after": 0.0}  # what a study.json written before a setting existed ran with


@dataclass
class StudyPlan:
    """Everything that makes two runs' cells comparable (device and data folder aside).

    Budgets count images, not seconds, so a cell's numbers do not depend on the machine or on how many cells
    share it; docs/classify.md has the measured time of the defaults and the cost of each part.
    """

    per_class: list[int | None] = field(default_factory=lambda: [10, 25, 50, 250, None])  # None: all
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    ratios: list[float] = field(default_factory=lambda: [1.0])  # extra images per real one (a grid: chosen on val)
    large_from: int | None = 250  # from this N on (and at all): ``large_ratios``, one GAN arm, no GAN-only at all
    large_ratios: list[float] = field(default_factory=lambda: [0.5])
    gan_preset: str = "fewshot"
    gan_kimg_small: float = 160.0  # GAN budget in thousands of images at N = 10, rising linearly in log N ...
    gan_kimg_large: float = 240.0  # ... to this at N = all
    gan_select_after: float = 0.5  # held-out scores in the first half of a GAN's budget cannot choose it
    classifier_preset: str = "fmnist-cnn"
    min_passes: int = 4  # passes over the real training images, at least ...
    min_steps: int = 800  # ... and enough passes for this many optimizer steps' worth of real images
    small_batch: int = 32  # the batch of cells with fewer than ``small_batch_below`` training images
    small_batch_below: int = 10_000
    precision: str = "auto"  # classifier autocast: bf16 where the CPU has it natively
    transfer_per_class: list[int] = field(default_factory=lambda: [10])  # N with transfer and pseudo-label arms
    source_kimg: float = 240.0  # the transfer source GAN's budget in thousands of images (once per study)
    pseudo_threshold: float = 0.95  # pseudo-labels kept at this probability or more (Lee 2013)
    pseudo_candidates: int = 20_000  # unlabelled images the labeller looks at (seeded draw)
    pool_per_class: int = 1000  # GAN images drawn once per cell and class; epochs draw from them
    eval_n: int = 2000  # generated images per GAN evaluation (0: skip; tiny tests)
    data: str = "fmnist"
    data_dir: str | None = None
    device: str = "auto"
    gan_overrides: dict[str, Any] = field(default_factory=dict)  # extra GAN config keys (tiny tests)

    def check(self) -> None:
        """One line for a plan no cell could run."""
        if not self.per_class or not self.seeds or not self.ratios or not self.large_ratios:
            raise UserError("a study needs at least one N, one seed and one ratio")
        if 0 < self.eval_n < MIN_EVAL_N:
            raise UserError(f"--eval-n {self.eval_n}: evaluate a GAN on at least {MIN_EVAL_N} images, or 0 for none")
        if small := [n for n in self.per_class if n is not None and n < 2]:
            raise UserError(f"--per-class {small[0]}: a cell needs at least 2 images per class (one to train on, "
                            "one to validate with)")

    def cells(self) -> list[tuple[int | None, int]]:
        return [(n, seed) for n in self.per_class for seed in self.seeds]

    def is_large(self, per_class: int | None) -> bool:
        return self.large_from is not None and (per_class is None or per_class >= self.large_from)

    def ratios_at(self, per_class: int | None) -> list[float]:
        """The ratio grid of the cells of N = ``per_class``."""
        return list(self.large_ratios if self.is_large(per_class) else self.ratios)

    def has_transfer(self, per_class: int | None) -> bool:
        return per_class is not None and per_class in self.transfer_per_class

    def comparable(self) -> dict[str, Any]:
        """The fields that must match for cells of two runs to belong to one study."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("device", "data_dir")}


@dataclass(frozen=True)
class Recipe:
    """How a cell's classifiers train: ``passes`` over the real images, ``repeats`` of them per epoch."""

    passes: int
    repeats: int
    epochs: int
    batch_size: int


def classifier_recipe(plan: StudyPlan, real_images: int, preset_batch: int) -> Recipe:
    """P = max(min_passes, ceil(min_steps * batch / n)) passes, in epochs of ``repeats`` passes each (a small
    set is repeated whole to about ``EPOCH_IMAGES`` per epoch; P is rounded up to a whole number of epochs).
    The batch is ``small_batch`` below ``small_batch_below`` training images, else the preset's.

    The same recipe for every arm of a cell: an arm with ratio R sees (1 + R) x as many images per pass.
    """
    batch_size = plan.small_batch if real_images < plan.small_batch_below else preset_batch
    wanted = max(plan.min_passes, math.ceil(plan.min_steps * batch_size / real_images))
    epochs = math.ceil(wanted / max(1, math.ceil(EPOCH_IMAGES / real_images)))  # epochs of >= EPOCH_IMAGES
    repeats = math.ceil(wanted / epochs)
    return Recipe(epochs * repeats, repeats, epochs, batch_size)


def gan_kimg(plan: StudyPlan, per_class: int | None) -> float:
    """The cell GAN's budget in thousands of images: linear in log N from N = 10 (small) to N = all (large),
    clamped."""
    n = FULL_PER_CLASS if per_class is None else per_class
    share = (math.log(n) - math.log(10)) / (math.log(FULL_PER_CLASS) - math.log(10))
    share = min(1.0, max(0.0, share))
    return round(plan.gan_kimg_small + share * (plan.gan_kimg_large - plan.gan_kimg_small), 1)


def budget_epochs(kimg: float, num_images: int, epoch_images: int) -> int:
    """Whole epochs nearest to ``kimg`` thousand images, at least one (an epoch repeats a small set to at
    least ``epoch_images``, the trainer's rule)."""
    per_epoch = num_images * epoch_repeats(num_images, epoch_images)
    return max(1, round(kimg * 1000 / max(1, per_epoch)))


def cell_name(per_class: int | None, seed: int) -> str:
    return f"n{'all' if per_class is None else per_class}-s{seed}"


def shard_cells(cells: list[Any], shard: tuple[int, int] | None,
                costs: list[float] | None = None, head_start: float = 0.0) -> tuple[list[Any], int]:
    """(this process's cells, its 1-based shard number). Shard (k, n) takes every n-th cell from the k-th, or,
    given each cell's expected ``costs``, the cells that dealing them out largest first to the least loaded
    share (share 1 starting ``head_start`` behind) gives it: shares then take about the same time. Under
    torchrun each rank takes its share and then trains alone (``work_alone``)."""
    if shard is None:
        rank, world = distributed.work_alone()
        shard = (rank + 1, world)
    k, n = shard
    if not 1 <= k <= n:
        raise UserError(f"--shard K/N needs 1 <= K <= N; got {k}/{n}")
    if costs is None:
        return cells[k - 1 :: n], k
    loads, owner = [head_start] + [0.0] * (n - 1), {}
    for i in sorted(range(len(cells)), key=lambda i: -costs[i]):
        share = min(range(n), key=lambda s: loads[s])
        loads[share] += costs[i]
        owner[i] = share
    return [cell for i, cell in enumerate(cells) if owner[i] == k - 1], k


def digest(positions: torch.Tensor) -> str:
    """A short fingerprint of which training images were drawn (the same draw gives the same digest)."""
    return hashlib.sha256(positions.to(torch.int64).numpy().tobytes()).hexdigest()[:16]


def check_plan(plan: StudyPlan, out: Path) -> None:
    """Write OUT/study.json, or refuse a folder of another protocol or other settings (one line each)."""
    path = out / "study.json"
    if not path.is_file():
        write_json(path, {"protocol": PROTOCOL, "comparable": plan.comparable(), "plan": dataclasses.asdict(plan)})
        return
    saved = check_object(read_json(path, "study plan"), {"comparable": Rule(dict), "protocol": Rule(str)}, path,
                         required=("comparable",), what="the settings of a study")
    protocol = saved.get("protocol", "v1")
    if protocol != PROTOCOL:
        raise UserError(f"{out} holds a study of protocol {protocol} ({path}); use another --out, or "
                        f"--protocol {protocol} to continue it")
    saved_settings = LEGACY | saved["comparable"]
    if saved_settings != plan.comparable():
        changed = sorted(k for k in plan.comparable() if saved_settings.get(k) != plan.comparable()[k])
        raise UserError(f"{out} holds a study with other settings ({', '.join(changed) or 'keys'} differ, {path}); "
                        "use another --out, or the same settings to continue it")
