"""One GAN training step: a discriminator update, then a generator update.

A plain function of its inputs, so it can be tested alone and later compiled or wrapped for DDP.
The order is the classic DCGAN one: D on real, D on detached fakes, then G through D.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from fashiongan.training.losses import LOSSES, discriminator_accuracy


@dataclass
class GANState:
    """The networks and optimizers a step updates."""

    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer


def sample_noise(
    n: int, z_dim: int, num_classes: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Noise (n, z_dim) and, for a conditional model, uniformly drawn class labels (n,)."""
    z = torch.randn(n, z_dim, device=device)
    labels = torch.randint(0, num_classes, (n,), device=device) if num_classes > 0 else None
    return z, labels


def train_step(
    state: GANState,
    real: torch.Tensor,
    real_labels: torch.Tensor | None,
    z_dim: int,
    num_classes: int,
    loss: str = "bce",
) -> dict[str, torch.Tensor]:
    """Update D once and G once on one batch of real images (float, [-1, 1], on the device).

    ``num_classes`` is 0 for an unconditional model. Returns detached scalar tensors
    (d_loss, g_loss, d_acc_real, d_acc_fake); the caller decides when to sync them to floats.
    """
    d_loss_fn, g_loss_fn = LOSSES[loss]
    generator, discriminator = state.generator, state.discriminator
    batch = real.shape[0]
    z, fake_labels = sample_noise(batch, z_dim, num_classes, real.device)
    fake = generator(z, fake_labels)  # (B, C, H, W)

    state.opt_d.zero_grad(set_to_none=True)
    real_logits = discriminator(real, real_labels)  # (B,)
    fake_logits = discriminator(fake.detach(), fake_labels)  # (B,)
    d_loss = d_loss_fn(real_logits, fake_logits)
    d_loss.backward()
    state.opt_d.step()

    state.opt_g.zero_grad(set_to_none=True)
    g_loss = g_loss_fn(discriminator(fake, fake_labels))
    g_loss.backward()
    state.opt_g.step()

    acc_real, acc_fake = discriminator_accuracy(real_logits.detach(), fake_logits.detach())
    return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(), "d_acc_real": acc_real, "d_acc_fake": acc_fake}
