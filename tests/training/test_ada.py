"""Adaptive augmentation: the ops, the probability controller, and p rising on a D that memorises."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fashiongan.io import read_jsonl
from fashiongan.training import ada
from fashiongan.training.ada import MAX_P, AdaptiveAugment, ada_augment
from fashiongan.training.loop import train

from .conftest import tiny_config


def images(n: int = 8, channels: int = 1, size: int = 28) -> torch.Tensor:
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1


@pytest.mark.parametrize("channels,size", [(1, 28), (3, 64)])
def test_every_op_keeps_shape_and_is_differentiable(channels: int, size: int):
    x = images(4, channels, size).requires_grad_(True)
    y = ada_augment(x, 0.7, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and torch.isfinite(y).all()
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_p_zero_is_the_identity_and_draws_nothing():
    x, rng = images(), torch.Generator().manual_seed(0)
    before = rng.get_state()
    assert torch.equal(ada_augment(x, 0.0, rng), x)
    assert torch.equal(rng.get_state(), before)


def reflect_shift(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """The oracle: out[i, j] = in[reflect(i - dy), reflect(j - dx)]."""
    h, w = image.shape[-2:]
    rows = [abs(i - dy) if i - dy < h else 2 * (h - 1) - (i - dy) for i in range(h)]
    cols = [abs(j - dx) if j - dx < w else 2 * (w - 1) - (j - dx) for j in range(w)]
    return image[..., rows, :][..., cols]


def test_flip_and_translate_are_whole_pixel_moves_with_reflected_borders():
    x = torch.arange(256.0).view(1, 1, 16, 16).repeat(64, 1, 1, 1)
    y = ada.flip_and_translate(x, 1.0, torch.Generator().manual_seed(0))
    shifts = range(-2, 3)  # 1/8 of 16 px
    moves = {(f, dy, dx) for f in (False, True) for dy in shifts for dx in shifts}
    seen = set()
    for i in range(64):
        match = [m for m in moves if torch.equal(y[i], reflect_shift(x[i].flip(-1) if m[0] else x[i], m[1], m[2]))]
        assert match, f"image {i} is not a flip and shift of its input"
        seen.add(match[0])
    assert len(seen) > 10  # with p = 1 the moves vary


def test_ops_apply_to_about_p_of_the_images():
    x = images(2000)
    y = ada.color(x, 0.25, torch.Generator().manual_seed(0))
    changed = (y - x).abs().flatten(1).amax(1) > 1e-6
    assert changed.float().mean().item() == pytest.approx(1 - 0.75**2, abs=0.04)  # brightness or contrast


def test_controller_moves_p_towards_more_augmentation_when_d_is_sure_of_reals():
    controller = AdaptiveAugment(target=0.6, kimg=1.0, interval=4)
    for _ in range(8):
        controller.observe(torch.tensor(0.9), global_batch=64)
    assert controller.p == pytest.approx(2 * 4 * 64 / 1000)
    for _ in range(4):
        controller.observe(torch.tensor(0.1), global_batch=64)
    assert controller.p == pytest.approx(4 * 64 / 1000)


def test_controller_stays_within_its_bounds_and_round_trips():
    controller = AdaptiveAugment(kimg=0.1, interval=1)
    for _ in range(50):
        controller.observe(torch.tensor(1.0), global_batch=64)
    assert controller.p == MAX_P
    controller.observe(torch.tensor(0.0), global_batch=8)  # interval 1: every step adjusts
    restored = AdaptiveAugment(kimg=0.1, interval=1)
    restored.load_state_dict(controller.state_dict())
    assert restored.p == controller.p and restored.steps == 0
    for _ in range(100):
        controller.observe(torch.tensor(-1.0), global_batch=64)
    assert controller.p == pytest.approx(0.0)


def test_a_pending_interval_survives_a_checkpoint():
    a, b = AdaptiveAugment(kimg=1.0, interval=4), AdaptiveAugment(kimg=1.0, interval=4)
    for sign in (0.9, 0.9):
        a.observe(torch.tensor(sign), 64)
    b.load_state_dict(a.state_dict())
    for sign in (0.1, 0.1):
        a.observe(torch.tensor(sign), 64)
        b.observe(torch.tensor(sign), 64)
    assert a.p == b.p and a.p == pytest.approx(0.0)  # mean sign 0.5 < 0.6: p stays at its floor


def test_p_rises_on_a_discriminator_that_memorises_and_is_logged(tmp_path: Path, tiny_data):
    config = tiny_config(**{"train.augment": "ada", "train.ada_kimg": 0.5, "train.ada_interval": 1,
                            "train.ada_target": 0.2, "train.epochs": 6, "train.lr_d": 2e-3})
    train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    records = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    p = [r["augment_p"] for r in records]
    assert p[-1] > p[0] and p[-1] > 0.05
    assert (tmp_path / "run" / "augment.png").is_file()


def test_ada_resumes_exactly(tmp_path: Path, tiny_data):
    overrides = {"train.augment": "ada", "train.ada_kimg": 0.5, "train.ada_interval": 3}
    train(tiny_config(**overrides, **{"train.epochs": 3}), tmp_path / "straight", data=tiny_data,
          progress_bar=False)
    train(tiny_config(**overrides, **{"train.epochs": 1}), tmp_path / "cut", data=tiny_data, progress_bar=False)
    train(tiny_config(**overrides, **{"train.epochs": 3}), tmp_path / "cut", data=tiny_data, resume=True,
          progress_bar=False)
    a, b = read_jsonl(tmp_path / "straight" / "metrics.jsonl"), read_jsonl(tmp_path / "cut" / "metrics.jsonl")
    assert [r["augment_p"] for r in a] == [r["augment_p"] for r in b]
    assert a[-1]["d_loss"] == pytest.approx(b[-1]["d_loss"], rel=1e-9)
