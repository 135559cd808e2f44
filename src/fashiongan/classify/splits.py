"""Train / validation / test splits for classifiers, on the same data layer as GAN training.

Fashion-MNIST and folders with ``train/`` and ``test/`` keep their own test split; any other folder
gets a seeded stratified test split. The validation split is always carved from the training images
(stratified, seeded), so no choice is ever made on the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from fashiongan.config import DataConfig
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.load import has_test_split, load_dataset
from fashiongan.errors import UserError

FOLDER_TEST_FRACTION = 0.2


@dataclass
class Splits:
    train: ImageDataset
    val: ImageDataset
    test: ImageDataset
    test_source: str  # "official" (the data's own test split) or "stratified" (carved with a seed)


def stratified_indices(labels: torch.Tensor, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(rest, held) positions: ``held`` takes round(fraction * n_c) of each class c (at least 1 where n_c >= 2).

    Seeded, so the same seed always holds out the same images; each class keeps at least one image in ``rest``.
    """
    if not 0 <= fraction < 1:
        raise UserError(f"a split fraction must be in [0, 1); got {fraction}")
    generator = torch.Generator().manual_seed(seed)
    held: list[torch.Tensor] = []
    rest: list[torch.Tensor] = []
    for label in range(int(labels.max()) + 1 if len(labels) else 0):
        members = (labels == label).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        n_held = max(0, min(len(members) - 1, max(1 if fraction > 0 else 0, round(fraction * len(members)))))
        held.append(members[:n_held])
        rest.append(members[n_held:])
    empty = torch.empty(0, dtype=torch.int64)
    return torch.cat([empty, *rest]).sort().values, torch.cat([empty, *held]).sort().values


def stratified_split(data: ImageDataset, fraction: float, seed: int) -> tuple[ImageDataset, ImageDataset]:
    """(rest, held) datasets; see ``stratified_indices``."""
    rest, held = stratified_indices(data.labels, fraction, seed)
    return data.subset(rest), data.subset(held)


def per_class_indices(labels: torch.Tensor, per_class: int, seed: int) -> torch.Tensor:
    """Sorted positions of ``per_class`` seeded random images of each class (all of a class that has fewer)."""
    if per_class < 1:
        raise UserError(f"--per-class must be at least 1; got {per_class}")
    generator = torch.Generator().manual_seed(seed)
    chosen = [torch.empty(0, dtype=torch.int64)]
    for label in range(int(labels.max()) + 1 if len(labels) else 0):
        members = (labels == label).nonzero().flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(chosen).sort().values


def per_class_subset(data: ImageDataset, per_class: int, seed: int) -> ImageDataset:
    """``per_class`` seeded random images of each class (all of a class that has fewer)."""
    return data.subset(per_class_indices(data.labels, per_class, seed))


def repeat_to(data: ImageDataset, min_images: int) -> ImageDataset:
    """``data`` repeated whole until it has at least ``min_images`` images (the same images, no new ones).

    A tiny training set then makes fewer, longer epochs: less time in per-epoch validation and checkpoints.
    """
    times = max(1, -(-min_images // max(1, len(data))))
    if times == 1:
        return data
    return ImageDataset(data.images.repeat(times, 1, 1, 1), data.labels.repeat(times), list(data.class_names))


def load_splits(config: DataConfig, val_fraction: float, seed: int, per_class: int | None = None) -> Splits:
    """The three splits of ``config.source``; ``per_class`` then keeps that many training images per class.

    The validation split is carved before ``per_class`` is applied, so it never shrinks with N.
    """
    train = load_dataset(config, "train")
    if has_test_split(config):
        test, test_source = load_dataset(config, "test"), "official"
    else:
        train, test = stratified_split(train, FOLDER_TEST_FRACTION, seed)
        test_source = "stratified"
    if len(train) < 2 or len(test) < 1:
        raise UserError(f"--data {config.source} has too few images to split into train and test")
    train, val = stratified_split(train, val_fraction, seed + 1)
    if per_class is not None:
        train = per_class_subset(train, per_class, seed)
    return Splits(train, val, test, test_source)
