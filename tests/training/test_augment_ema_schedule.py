from __future__ import annotations

import pytest
import torch

from fashiongan.training.augment import build_augment, cutout, translation
from fashiongan.training.ema import ema_beta, make_ema, recompute_batchnorm, update_ema
from fashiongan.training.schedule import lr_factor


def rng() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def test_translation_shifts_content_and_fills_with_zeros():
    x = torch.ones(16, 1, 8, 8)
    out = translation(x, rng())
    assert out.shape == x.shape
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    assert (out == 0).any()  # some image moved: a zero border came in
    assert (out.sum(dim=(1, 2, 3)) >= 64 - 2 * 8 + 1).all()  # at most one row and column (ratio 1/8)


def test_cutout_zeroes_one_square_of_half_the_side():
    out = cutout(torch.ones(32, 3, 8, 8), rng())
    zeros = (out[:, 0] == 0).sum(dim=(1, 2))
    assert (zeros <= 16).all() and (zeros > 0).any()
    assert torch.equal(out[:, 0], out[:, 2])  # the same square in every channel


def test_augment_policy_is_differentiable_and_none_is_none():
    assert build_augment("none") is None
    augment = build_augment("translation,cutout,color")
    x = torch.randn(4, 3, 8, 8, requires_grad=True)
    augment(x, rng()).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_ema_beta_gives_the_half_life_in_images_and_ramps_up():
    beta = ema_beta(batch_size=100, ema_kimg=1.0, images_seen=100_000, rampup=0.05)
    assert beta ** 10 == pytest.approx(0.5)  # 10 steps of 100 images = 1 kimg
    assert ema_beta(100, 1.0, 0, 0.05) == pytest.approx(0.0, abs=1e-12)  # at the start: follow G
    early = ema_beta(100, 1.0, 4_000, 0.05)  # half-life capped at 5 % of 4,000 images seen = 200 images
    assert early ** 2 == pytest.approx(0.5)
    assert ema_beta(100, 1.0, 4_000, 0.0) == pytest.approx(beta)  # no ramp-up: the full half-life at once


def test_ema_update_moves_towards_the_model_and_recomputes_batchnorm():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4))
    ema = make_ema(model)
    with torch.no_grad():
        model[0].weight.add_(1.0)
    before = ema[0].weight.clone()
    update_ema(ema, model, beta=0.75)
    assert torch.allclose(ema[0].weight, before + 0.25)

    class G(torch.nn.Module):
        z_dim = 3

        def __init__(self) -> None:
            super().__init__()
            self.norm = torch.nn.BatchNorm1d(3)

        def forward(self, z, labels):
            return self.norm(z * 2 + 5)

    g = G()
    recompute_batchnorm(g, num_classes=0, device=torch.device("cpu"))
    assert g.norm.running_mean.mean().item() == pytest.approx(5.0, abs=0.2)
    assert g.norm.running_var.mean().item() == pytest.approx(4.0, abs=0.5)
    assert not g.training


@pytest.mark.parametrize(("schedule", "fraction", "expected"), [
    ("constant", 0.9, 1.0), ("linear", 0.4, 1.0), ("linear", 0.75, 0.55), ("linear", 1.0, 0.1),
    ("cosine", 0.5, 1.0), ("cosine", 1.0, 0.1), ("cosine", 0.75, 0.55),
])
def test_lr_schedules(schedule, fraction, expected):
    assert lr_factor(schedule, fraction, decay_start=0.5, floor=0.1) == pytest.approx(expected)
