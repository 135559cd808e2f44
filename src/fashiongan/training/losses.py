"""Adversarial losses as small functions of discriminator logits.

Each entry of LOSSES pairs a discriminator loss ``d(real_logits, fake_logits)`` with a generator loss
``g(fake_logits, real_logits)``; real logits are passed to G only for relativistic losses. Penalties that
need gradients through D's input live in penalties.py. Adding a loss is one function pair and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


@dataclass(frozen=True)
class AdversarialLoss:
    discriminator: Callable[[Tensor, Tensor], Tensor]
    generator: Callable[[Tensor, Tensor | None], Tensor]
    generator_needs_real: bool = False  # relativistic losses compare fakes with reals in G's step too


def bce_d(real: Tensor, fake: Tensor) -> Tensor:
    """-log σ(D(x)) - log(1 - σ(D(G(z)))), with softplus for stability (= BCE-with-logits)."""
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def nonsaturating_g(fake: Tensor, real: Tensor | None = None) -> Tensor:
    """-log σ(D(G(z))): the non-saturating G loss of Goodfellow et al. 2014, sec. 3."""
    return F.softplus(-fake).mean()


def hinge_d(real: Tensor, fake: Tensor) -> Tensor:
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z))) (Lim & Ye 2017; used by SNGAN and BigGAN)."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def linear_g(fake: Tensor, real: Tensor | None = None) -> Tensor:
    """-D(G(z)): the generator side of the hinge and Wasserstein losses."""
    return -fake.mean()


def rpgan_d(real: Tensor, fake: Tensor) -> Tensor:
    """Relativistic pairing: softplus(D(G(z)) - D(x)) (Jolicoeur-Martineau 2019; R3GAN, Huang et al. 2024)."""
    return F.softplus(fake - real).mean()


def rpgan_g(fake: Tensor, real: Tensor | None) -> Tensor:
    assert real is not None, "the relativistic G loss needs real logits"
    return F.softplus(real - fake).mean()


def lsgan_d(real: Tensor, fake: Tensor) -> Tensor:
    """Least squares with targets 1 (real) and 0 (fake) (Mao et al. 2017, eq. 2 with a=0, b=c=1)."""
    return 0.5 * ((real - 1.0).square().mean() + fake.square().mean())


def lsgan_g(fake: Tensor, real: Tensor | None = None) -> Tensor:
    return 0.5 * (fake - 1.0).square().mean()


def wgan_d(real: Tensor, fake: Tensor) -> Tensor:
    """D(G(z)) - D(x) (Arjovsky et al. 2017); needs a gradient penalty (Gulrajani et al. 2017)."""
    return fake.mean() - real.mean()


LOSSES: dict[str, AdversarialLoss] = {
    "bce": AdversarialLoss(bce_d, nonsaturating_g),
    "hinge": AdversarialLoss(hinge_d, linear_g),
    "rpgan": AdversarialLoss(rpgan_d, rpgan_g, generator_needs_real=True),
    "lsgan": AdversarialLoss(lsgan_d, lsgan_g),
    "wgan": AdversarialLoss(wgan_d, linear_g),
}


def discriminator_accuracy(real_logits: Tensor, fake_logits: Tensor) -> tuple[Tensor, Tensor]:
    """Share of real images called real (logit > 0) and of fakes called fake (logit < 0)."""
    return (real_logits > 0).float().mean(), (fake_logits < 0).float().mean()
