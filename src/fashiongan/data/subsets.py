"""Seeded subsets by class: the few-images-per-class draws of `train --per-class` and the study, and hold-outs."""

from __future__ import annotations

import torch

from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError


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
