"""Classic augmentation: flips and small shifts, seeded, on uint8 or float batches."""

from __future__ import annotations

import pytest
import torch

from fashiongan.classify.augment import augment_batch, check_augment, classic
from fashiongan.errors import UserError
from fashiongan.models.layers import scale_to_unit
from tests.classify.conftest import banded


def test_classic_keeps_shape_and_range_is_seeded_and_changes_images():
    images = banded(16, 4, 0).images
    out = classic(images, torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == torch.float32
    assert out.min() >= -1 and out.max() <= 1
    assert torch.equal(out, classic(images, torch.Generator().manual_seed(0)))
    assert not torch.equal(out, scale_to_unit(images))
    # a float batch gives the same result as its uint8 original
    assert torch.equal(out, classic(scale_to_unit(images), torch.Generator().manual_seed(0)))


def test_none_only_scales_and_unknown_names_are_user_errors():
    images = banded(4, 2, 0).images
    assert torch.equal(augment_batch(images, "none", torch.Generator()), scale_to_unit(images))
    with pytest.raises(UserError, match="--augment must be one of none, classic, strong; got 'mixup'"):
        check_augment("mixup")
