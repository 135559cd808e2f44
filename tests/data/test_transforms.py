"""The flip-and-shift augmentation every classifier trainer uses: each output is a flip or shift of its input."""

from __future__ import annotations

import torch

from fashiongan.data.transforms import random_flip_and_shift


def _candidates(image: torch.Tensor, max_shift: int) -> list[torch.Tensor]:
    """Every flip/shift of one image (C, H, W), computed the slow, obvious way."""
    _, h, w = image.shape
    result = []
    for flipped in (image, image.flip(2)):
        padded = torch.nn.functional.pad(flipped[None], (max_shift,) * 4, mode="replicate")[0]
        for dy in range(2 * max_shift + 1):
            for dx in range(2 * max_shift + 1):
                result.append(padded[:, dy : dy + h, dx : dx + w])
    return result


def test_augmentation_gives_a_flip_or_shift_of_each_image() -> None:
    x = torch.rand(16, 3, 28, 28)
    out = random_flip_and_shift(x, 2, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    for image, augmented in zip(x, out, strict=True):
        assert any(torch.equal(augmented, c) for c in _candidates(image, 2))
    assert not torch.equal(out, x)  # 16 images all left untouched would be a broken augmentation
    again = random_flip_and_shift(x, 2, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_augmentation_without_shift_only_flips() -> None:
    x = torch.rand(32, 1, 28, 28)
    out = random_flip_and_shift(x, 0, torch.Generator().manual_seed(1))
    flipped = [torch.equal(a, b.flip(2)) for a, b in zip(out, x, strict=True)]
    kept = [torch.equal(a, b) for a, b in zip(out, x, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True)) and 0 < sum(flipped) < 32
