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


def parse_classes(spec: str, class_names: list[str]) -> list[int]:
    """Class indices from a comma list of names or indices ("Sandal,Sneaker", "5,7,9", "5-9"), in data order."""
    chosen: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        low, dash, high = part.partition("-")
        if part in class_names:
            chosen.add(class_names.index(part))
        elif part.isascii() and part.isdigit() and int(part) < len(class_names):
            chosen.add(int(part))
        elif dash and low.isascii() and low.isdigit() and high.isascii() and high.isdigit() \
                and int(low) <= int(high) < len(class_names):
            chosen.update(range(int(low), int(high) + 1))
        else:
            raise UserError(f"--classes: {part!r} is not a class of this data; choose names ({', '.join(class_names)}) "
                            f"or indices 0-{len(class_names) - 1}")
    return sorted(chosen)


def keep_classes(data: ImageDataset, spec: str) -> ImageDataset:
    """Only the classes ``spec`` names (see ``parse_classes``), relabelled 0..K-1 in the data's order."""
    keep = parse_classes(spec, list(data.class_names))
    remap = torch.full((data.num_classes,), -1, dtype=torch.int64)
    remap[keep] = torch.arange(len(keep))
    rows = (remap[data.labels] >= 0).nonzero().flatten()
    return ImageDataset(data.images[rows], remap[data.labels[rows]], [data.class_names[k] for k in keep])
