from __future__ import annotations

import math

import torch

from fashiongan.training.losses import (
    LOSSES,
    bce_discriminator_loss,
    discriminator_accuracy,
    nonsaturating_generator_loss,
)


def test_bce_losses_match_their_formulas():
    real = torch.tensor([2.0, -1.0])
    fake = torch.tensor([0.5, -3.0])
    sig = torch.sigmoid
    expected_d = -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean())
    expected_g = -torch.log(sig(fake)).mean()
    assert torch.allclose(bce_discriminator_loss(real, fake), expected_d)
    assert torch.allclose(nonsaturating_generator_loss(fake), expected_g)


def test_bce_loss_at_zero_logits_is_two_log_two():
    zeros = torch.zeros(4)
    assert math.isclose(bce_discriminator_loss(zeros, zeros).item(), 2 * math.log(2), rel_tol=1e-6)


def test_losses_stay_finite_for_huge_logits():
    huge = torch.tensor([1e4, -1e4])
    assert torch.isfinite(bce_discriminator_loss(huge, huge))
    assert torch.isfinite(nonsaturating_generator_loss(huge))


def test_discriminator_accuracy():
    acc_real, acc_fake = discriminator_accuracy(torch.tensor([1.0, -1.0, 2.0, 3.0]), torch.tensor([-1.0, 1.0]))
    assert acc_real.item() == 0.75 and acc_fake.item() == 0.5


def test_registry_has_bce():
    assert set(LOSSES) >= {"bce"}
