"""Penalties that need gradients through D's input: R1, R2 and the WGAN-GP gradient penalty.

Each is ``penalty(discriminator, real, real_labels, fake, fake_labels) -> scalar``; the step adds
``weight * penalty`` every ``penalty_every`` steps, scaled by that interval (lazy regularisation,
Karras et al. 2020, StyleGAN2 sec. 3.1).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Tensor = torch.Tensor
Penalty = Callable[[nn.Module, Tensor, Tensor | None, Tensor, Tensor | None], Tensor]


def real_fake_logits(output: Tensor) -> Tensor:
    """Column 0 of a discriminator with a class head, else the logits themselves."""
    return output[:, 0] if output.ndim == 2 else output


def squared_input_gradient(discriminator: nn.Module, images: Tensor, labels: Tensor | None) -> Tensor:
    """E ||∇_x D(x)||²: the zero-centred gradient penalty's core (Mescheder et al. 2018, eq. 9)."""
    images = images.detach().float().requires_grad_(True)
    logits = real_fake_logits(discriminator(images, labels))
    (grad,) = torch.autograd.grad(logits.sum(), images, create_graph=True)
    return grad.square().sum(dim=(1, 2, 3)).mean()


def r1(discriminator: nn.Module, real: Tensor, real_labels: Tensor | None, fake: Tensor,
       fake_labels: Tensor | None) -> Tensor:
    """R1: ½ E ||∇ D(x_real)||² (the ½γ factor of the paper: the caller multiplies by γ)."""
    return 0.5 * squared_input_gradient(discriminator, real, real_labels)


def r2(discriminator: nn.Module, real: Tensor, real_labels: Tensor | None, fake: Tensor,
       fake_labels: Tensor | None) -> Tensor:
    """R2: ½ E ||∇ D(x_fake)||² (R3GAN, Huang et al. 2024, pairs it with R1)."""
    return 0.5 * squared_input_gradient(discriminator, fake, fake_labels)


def gradient_penalty(discriminator: nn.Module, real: Tensor, real_labels: Tensor | None, fake: Tensor,
                     fake_labels: Tensor | None) -> Tensor:
    """WGAN-GP: E (||∇ D(x̂)|| - 1)² on random mixes of real and fake (Gulrajani et al. 2017, eq. 3)."""
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
    mixed = (alpha * real.detach().float() + (1 - alpha) * fake.detach().float()).requires_grad_(True)
    logits = real_fake_logits(discriminator(mixed, real_labels))
    (grad,) = torch.autograd.grad(logits.sum(), mixed, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1.0).square().mean()
