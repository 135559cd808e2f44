from __future__ import annotations

import math

import pytest
import torch

from fashiongan.training import penalties
from fashiongan.training.losses import LOSSES, bce_d, discriminator_accuracy, hinge_d, nonsaturating_g, rpgan_d


def test_bce_losses_match_their_formulas():
    real = torch.tensor([2.0, -1.0])
    fake = torch.tensor([0.5, -3.0])
    sig = torch.sigmoid
    expected_d = -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean())
    expected_g = -torch.log(sig(fake)).mean()
    assert torch.allclose(bce_d(real, fake), expected_d)
    assert torch.allclose(nonsaturating_g(fake), expected_g)


def test_bce_loss_at_zero_logits_is_two_log_two():
    zeros = torch.zeros(4)
    assert math.isclose(bce_d(zeros, zeros).item(), 2 * math.log(2), rel_tol=1e-6)


def test_hinge_and_rpgan_closed_forms():
    assert hinge_d(torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.5])).item() == pytest.approx(0.5 + 0.75)
    assert rpgan_d(torch.tensor([1.0]), torch.tensor([1.0])).item() == pytest.approx(math.log(2))


@pytest.mark.parametrize("name", list(LOSSES))
def test_every_loss_is_finite_for_huge_logits_and_moves_the_right_way(name):
    loss = LOSSES[name]
    huge = torch.tensor([1e4, -1e4])
    assert torch.isfinite(loss.discriminator(huge, huge))
    assert torch.isfinite(loss.generator(huge, huge))
    # D's loss falls when reals score higher and fakes lower; G's falls when fakes score higher.
    low, high = torch.zeros(4), torch.ones(4)
    assert loss.discriminator(high, low) < loss.discriminator(low, high)
    assert loss.generator(high, low) < loss.generator(low, low)


def test_discriminator_accuracy():
    acc_real, acc_fake = discriminator_accuracy(torch.tensor([1.0, -1.0, 2.0, 3.0]), torch.tensor([-1.0, 1.0]))
    assert acc_real.item() == pytest.approx(0.75) and acc_fake.item() == pytest.approx(0.5)


class Linear(torch.nn.Module):
    """D(x) = <w, x>: its input gradient is w, so the penalties have closed forms."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return (x * self.w).flatten(1).sum(1)


def test_penalties_match_their_closed_forms_on_a_linear_critic():
    w = torch.full((1, 1, 2, 2), 0.5)  # ||w||² = 1
    d = Linear(w)
    real, fake = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    assert penalties.r1(d, real, None, fake, None).item() == pytest.approx(0.5)
    assert penalties.r2(d, real, None, fake, None).item() == pytest.approx(0.5)
    assert penalties.gradient_penalty(d, real, None, fake, None).item() == pytest.approx(0.0, abs=1e-6)
    r1 = penalties.r1(d, real, None, fake, None)
    r1.backward()  # the penalty is differentiable in D's weights (create_graph)
    assert d.w.grad is not None and torch.allclose(d.w.grad, w * 1.0)
