"""Train / validation / test splits for everything that trains a classifier (the classifiers, the evaluator).

Fashion-MNIST and folders with ``train/`` and ``test/`` keep their own test split; any other folder
gets a seeded test split (stratified, or a plain random share for the evaluator). The validation split
is always carved from the training images (stratified, seeded), so no choice is ever made on the test split.
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
    test_source: str  # "official" (the data's own test split), or "stratified"/"random" (carved with a seed)


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


def hold_out(data: ImageDataset, per_class: int, seed: int) -> tuple[ImageDataset, ImageDataset]:
    """(rest, held): ``per_class`` seeded images of each class set aside; every class keeps one to train on."""
    counts = torch.bincount(data.labels, minlength=data.num_classes)
    short = [name for name, count in zip(data.class_names, counts.tolist(), strict=True) if count <= per_class]
    if short:
        raise UserError(f"--holdout {per_class} leaves nothing to train on in class {short[0]!r} "
                        f"({int(counts[data.class_names.index(short[0])])} images); hold out fewer")
    held = per_class_indices(data.labels, per_class, seed)
    keep = torch.ones(len(data), dtype=torch.bool)
    keep[held] = False
    return data.subset(keep.nonzero().flatten()), data.subset(held)


def repeat_to(data: ImageDataset, min_images: int) -> ImageDataset:
    """``data`` repeated whole until it has at least ``min_images`` images (the same images, no new ones).

    A tiny training set then makes fewer, longer epochs: less time in per-epoch validation and checkpoints.
    """
    times = max(1, -(-min_images // max(1, len(data))))
    if times == 1:
        return data
    return ImageDataset(data.images.repeat(times, 1, 1, 1), data.labels.repeat(times), list(data.class_names))


def random_split(data: ImageDataset, fraction: float, seed: int) -> tuple[ImageDataset, ImageDataset]:
    """(rest, held) datasets: a seeded random ``fraction`` of the images (at least one) held out, both sorted."""
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    held = max(1, round(fraction * len(data)))
    return data.subset(order[held:].sort().values), data.subset(order[:held].sort().values)


def load_splits(config: DataConfig, val_fraction: float, seed: int, per_class: int | None = None, *,
                test_fraction: float = FOLDER_TEST_FRACTION, stratified: bool = True) -> Splits:
    """The three splits of ``config.source``; ``per_class`` then keeps that many training images per class.

    A folder without its own test split holds out ``test_fraction`` of the images as the test split,
    stratified by class (or a plain seeded random share with ``stratified=False``: the evaluator's split,
    ``test_source`` "random"). The validation split is carved before ``per_class`` is applied, so it never
    shrinks with N; ``val_fraction`` 0 leaves it empty.
    """
    train = load_dataset(config, "train")
    if has_test_split(config):
        test, test_source = load_dataset(config, "test"), "official"
    elif stratified:
        train, test = stratified_split(train, test_fraction, seed)
        test_source = "stratified"
    else:
        if len(train) < 2:
            raise UserError(f"--data {config.source} has {len(train)} image(s); the evaluator needs at least 2")
        train, test = random_split(train, test_fraction, seed)
        test_source = "random"
    if test_source != "random" and (len(train) < 2 or len(test) < 1):
        raise UserError(f"--data {config.source} has too few images to split into train and test")
    if val_fraction > 0:
        train, val = stratified_split(train, val_fraction, seed + 1)
    else:
        val = train.subset(torch.empty(0, dtype=torch.int64))
    if per_class is not None:
        train = per_class_subset(train, per_class, seed)
    return Splits(train, val, test, test_source)
