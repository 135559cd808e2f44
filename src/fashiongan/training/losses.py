"""GAN losses as small functions of discriminator logits.

Each entry of LOSSES is a (discriminator_loss, generator_loss) pair. New losses (hinge, WGAN-GP,
R1 penalties) are added here as more pairs; the training step looks them up by name.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LossFn = Callable[..., torch.Tensor]


def bce_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-log σ(D(x)) - log(1 - σ(D(G(z)))), written with softplus for stability (= BCE-with-logits)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def nonsaturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """-log σ(D(G(z))): the non-saturating G loss of Goodfellow et al. 2014, sec. 3."""
    return F.softplus(-fake_logits).mean()


LOSSES: dict[str, tuple[LossFn, LossFn]] = {
    "bce": (bce_discriminator_loss, nonsaturating_generator_loss),
}


def discriminator_accuracy(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Share of real images called real (logit > 0) and of fakes called fake (logit < 0)."""
    return (real_logits > 0).float().mean(), (fake_logits < 0).float().mean()
