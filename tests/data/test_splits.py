"""Seeded stratified splits and per-class subsets."""

from __future__ import annotations

import pytest
import torch

from fashiongan.data.splits import per_class_indices, stratified_indices, stratified_split
from fashiongan.errors import UserError
from tests.classify.conftest import banded


def test_stratified_split_is_disjoint_complete_stratified_and_seeded():
    data = banded(100, 4, 0)
    rest, held = stratified_indices(data.labels, 0.2, seed=3)
    assert set(rest.tolist()).isdisjoint(held.tolist()) and len(rest) + len(held) == 100
    assert torch.bincount(data.labels[held]).tolist() == [5, 5, 5, 5]
    assert torch.equal(held, stratified_indices(data.labels, 0.2, seed=3)[1])
    assert not torch.equal(held, stratified_indices(data.labels, 0.2, seed=4)[1])


def test_every_class_keeps_a_training_image_and_gets_a_held_one():
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    rest, held = stratified_indices(labels, 0.1, seed=0)
    assert sorted(labels[rest].unique().tolist()) == [0, 1, 2]
    assert sorted(labels[held].tolist()) == [0, 1]  # class 2 has one image: it stays in training


def test_per_class_subset_takes_n_of_each_class():
    data = banded(100, 4, 0)
    chosen = per_class_indices(data.labels, 7, seed=1)
    assert torch.bincount(data.labels[chosen]).tolist() == [7, 7, 7, 7]
    assert len(per_class_indices(data.labels, 1000, seed=1)) == 100


def test_bad_fractions_and_counts_are_user_errors():
    data = banded(10, 2, 0)
    with pytest.raises(UserError, match=r"split fraction must be in \[0, 1\)"):
        stratified_split(data, 1.5, 0)
    with pytest.raises(UserError, match="--per-class must be at least 1"):
        per_class_indices(data.labels, 0, 0)
