"""The study's data: each cell's labelled images and validation split, the unlabelled extra images, the test split.

A cell (N, seed) draws N images per class from the official training split with its seed; its validation
split is carved out of those N (20 % per class, at least 2 and at most 100, always leaving one to train
on; 100 per class at N = all) and the cell trains on the rest. The official test split is used only for
the reported numbers. The transfer arms may also use the training split's images *without labels*: the
source GAN takes all of them except every cell's validation images, the pseudo-labeller those the cell
did not draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from fashiongan.classify.study_plan import StudyPlan
from fashiongan.config import DataConfig
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.load import load_dataset
from fashiongan.data.splits import per_class_indices
from fashiongan.errors import UserError

VAL_SHARE, VAL_MIN, VAL_MAX, VAL_ALL = 0.2, 2, 100, 100
VAL_SEED_OFFSET = 7_777  # the validation carve's seed is the cell's seed plus this


@dataclass
class StudyData:
    train: ImageDataset  # the whole official training split
    test: ImageDataset  # the official test split: reported numbers only


def load_study_data(plan: StudyPlan) -> StudyData:
    config = DataConfig(source=plan.data, data_dir=plan.data_dir)
    return StudyData(load_dataset(config, "train"), load_dataset(config, "test"))


def val_per_class(per_class: int | None) -> int:
    """Validation images per class carved out of the cell's N (N = all: ``VAL_ALL``)."""
    if per_class is None:
        return VAL_ALL
    if per_class < 2:
        raise UserError(f"--per-class {per_class}: a cell needs at least 2 images per class (one to train on, "
                        "one to validate with)")
    return min(per_class - 1, VAL_MAX, max(VAL_MIN, round(VAL_SHARE * per_class)))


@dataclass
class CellSplit:
    """Positions in the training split of a cell's training and validation images (sorted, disjoint)."""

    train: torch.Tensor
    val: torch.Tensor

    @property
    def labelled(self) -> torch.Tensor:
        return torch.cat([self.train, self.val]).sort().values


def cell_split(labels: torch.Tensor, per_class: int | None, seed: int) -> CellSplit:
    """The cell's draw of ``per_class`` images per class (all with None), split into training and validation."""
    drawn = torch.arange(len(labels)) if per_class is None else per_class_indices(labels, per_class, seed)
    held = drawn[per_class_indices(labels[drawn], val_per_class(per_class), seed + VAL_SEED_OFFSET)]
    keep = torch.ones(len(labels), dtype=torch.bool)
    keep[held] = False
    in_draw = torch.zeros(len(labels), dtype=torch.bool)
    in_draw[drawn] = True
    return CellSplit((in_draw & keep).nonzero().flatten(), held.sort().values)


def unlabelled_for_cell(num_images: int, split: CellSplit, count: int, seed: int) -> torch.Tensor:
    """A seeded draw of ``count`` training-split positions the cell did not draw (its extra, unlabelled images)."""
    free = torch.ones(num_images, dtype=torch.bool)
    free[split.labelled] = False
    positions = free.nonzero().flatten()
    order = torch.randperm(len(positions), generator=torch.Generator().manual_seed(seed))
    return positions[order[:count]].sort().values


def source_positions(labels: torch.Tensor, plan: StudyPlan) -> torch.Tensor:
    """The transfer source's images: the training split minus the validation images of every cell of the plan."""
    keep = torch.ones(len(labels), dtype=torch.bool)
    for per_class, seed in plan.cells():
        keep[cell_split(labels, per_class, seed).val] = False
    return keep.nonzero().flatten()
