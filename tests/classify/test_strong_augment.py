"""Strong augmentation: every op keeps the range and shape, ops match closed forms, seeds reproduce."""

from __future__ import annotations

import pytest
import torch

from fashiongan.classify.strong_augment import OPS, equalize, geometric, photometric, random_erase, strong


def batch(n: int = 16, channels: int = 1, size: int = 28) -> torch.Tensor:
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(3)) * 2 - 1


@pytest.mark.parametrize("channels,size", [(1, 28), (3, 64)])
def test_strong_keeps_shape_and_range_and_is_seeded(channels: int, size: int):
    x = batch(32, channels, size)
    a = strong(x, torch.Generator().manual_seed(0))
    b = strong(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b)
    assert a.min() >= -1 and a.max() <= 1 and not torch.equal(a, x)


@pytest.mark.parametrize("name", OPS)
def test_each_op_at_zero_strength_is_close_to_the_identity_or_its_closed_form(name: str):
    y = (batch(8) + 1) / 2
    op = torch.full((8,), OPS.index(name))
    zero = torch.zeros(8)
    out = photometric(geometric(y, op, zero, torch.Generator()), op, zero, torch.Generator())
    if name == "autocontrast":
        expected = (y - y.amin((2, 3), keepdim=True)) / (y.amax((2, 3), keepdim=True) - y.amin((2, 3), keepdim=True))
        torch.testing.assert_close(out, expected)
    elif name == "equalize":
        torch.testing.assert_close(out, equalize(y))
    elif name == "solarize":  # threshold 1 at strength 0: nothing inverted except pure white
        torch.testing.assert_close(out, torch.where(y >= 1, 1 - y, y))
    elif name == "posterize":  # 8 bits: the 256 levels themselves
        torch.testing.assert_close(out, torch.floor(y * 255) / 255)
    else:
        torch.testing.assert_close(out, y, atol=1e-5, rtol=0)


def test_equalize_spreads_levels_uniformly():
    y = torch.linspace(0, 0.25, 28 * 28).view(1, 1, 28, 28)  # a dark ramp
    out = equalize(y)
    assert out.max().item() == pytest.approx(1.0) and out.median().item() == pytest.approx(0.5, abs=0.02)


def test_random_erasing_covers_some_images_with_noise():
    y = torch.zeros(200, 1, 28, 28)
    out = random_erase(y, torch.Generator().manual_seed(0))
    erased = (out != 0).flatten(1).any(1).float().mean().item()
    assert erased == pytest.approx(0.5, abs=0.1)
    areas = (out != 0).flatten(1).float().mean(1)
    assert areas[areas > 0].max() <= 0.34
