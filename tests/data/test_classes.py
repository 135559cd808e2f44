"""Seeded per-class subsets and hold-outs."""

from __future__ import annotations

import pytest
import torch

from fashiongan.data.dataset import ImageDataset
from fashiongan.data.splits import hold_out, per_class_subset
from fashiongan.errors import UserError


def dataset(per_class: int = 10, classes: int = 3) -> ImageDataset:
    n = per_class * classes
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 28, 28).contiguous()
    return ImageDataset(images, torch.arange(n) % classes, [f"c{i}" for i in range(classes)])


def test_per_class_subset_is_seeded_and_balanced():
    data = dataset()
    a, b, c = per_class_subset(data, 4, 0), per_class_subset(data, 4, 0), per_class_subset(data, 4, 1)
    assert torch.bincount(a.labels).tolist() == [4, 4, 4]
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)


def test_hold_out_splits_each_class_without_overlap():
    rest, held = hold_out(dataset(), 3, seed=0)
    assert torch.bincount(held.labels).tolist() == [3, 3, 3] and torch.bincount(rest.labels).tolist() == [7, 7, 7]
    assert not set(rest.images[:, 0, 0, 0].tolist()) & set(held.images[:, 0, 0, 0].tolist())


def test_holding_out_a_whole_class_is_refused():
    with pytest.raises(UserError, match="--holdout 10 leaves nothing to train on in class 'c0'"):
        hold_out(dataset(), 10, seed=0)


def test_classes_are_kept_by_name_index_or_range_and_relabelled():
    from fashiongan.data.classes import keep_classes, parse_classes

    names = ["t", "u", "v", "w"]
    assert parse_classes("v,0", names) == [0, 2] and parse_classes("1-3", names) == [1, 2, 3]
    data = dataset(classes=4)
    kept = keep_classes(data, "c3,1")
    assert kept.class_names == ["c1", "c3"] and torch.bincount(kept.labels).tolist() == [10, 10]
    assert torch.equal(kept.images[kept.labels == 1], data.images[data.labels == 3])
    with pytest.raises(UserError, match="--classes: 'Hat' is not a class of this data; choose names"):
        parse_classes("Hat", names)
