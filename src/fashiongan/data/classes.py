"""``--classes``: keep some of a data set's classes, named by class name, index or range."""

from __future__ import annotations

import torch

from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError


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
