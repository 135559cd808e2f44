"""One GAN training step: a discriminator update, then a generator update, as a function of the state.

The order is the classic DCGAN one (D on real, D on detached fakes, then G through D). Everything the
config chose arrives through ``state.recipe``; statistics come back as detached tensors so the loop
decides when to pay for a host sync.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fashiongan.run.device import autocast
from fashiongan.training.diversity import mode_seeking_loss, paired_labels
from fashiongan.training.ema import update_ema
from fashiongan.training.losses import discriminator_accuracy
from fashiongan.training.state import GANState, Recipe, bare

Tensor = torch.Tensor


def draw_noise(recipe: Recipe, n: int, rng: torch.Generator) -> tuple[Tensor, Tensor | None]:
    """Noise (n, z_dim) and, for a conditional model, uniformly drawn class labels (n,).

    Data parallel: every rank draws the global batch from the same RNG and keeps its own rows, so N ranks
    see exactly the noise one process would with an N times larger batch.
    """
    total = n * recipe.world_size
    z = torch.randn(total, recipe.z_dim, device=recipe.device, generator=rng)
    labels = None
    if recipe.num_classes > 0:
        labels = torch.randint(0, recipe.num_classes, (total,), device=recipe.device, generator=rng)
        if recipe.mode_seeking > 0:
            labels = paired_labels(labels)
    if recipe.world_size > 1:
        rows = slice(recipe.rank * n, (recipe.rank + 1) * n)
        z, labels = z[rows], labels[rows] if labels is not None else None
    return z, labels


def split_output(output: Tensor) -> tuple[Tensor, Tensor | None]:
    """A discriminator's (N,) logits, or (N, 1 + K) logits with class logits → (logits, class logits)."""
    if output.ndim == 2:
        return output[:, 0].float(), output[:, 1:].float()
    return output.float(), None


def critic(state: GANState, images: Tensor, labels: Tensor | None,
           discriminator: nn.Module | None = None) -> tuple[Tensor, Tensor | None]:
    """D (``state.discriminator`` unless given) on (augmented) images, under the recipe's precision."""
    recipe = state.recipe
    rng = state.augment_noise if state.augment_noise is not None else state.noise
    if recipe.augment is not None:
        images = recipe.augment(images, rng)
    if state.ada is not None:
        images = state.ada.augment(images, rng)
    with autocast(recipe.device, recipe.autocast_dtype):
        return split_output((discriminator if discriminator is not None else state.discriminator)(images, labels))


def class_loss(class_logits: Tensor | None, labels: Tensor | None, weight: float) -> Tensor | None:
    if class_logits is None or labels is None or weight == 0:
        return None
    return weight * F.cross_entropy(class_logits, labels)


def discriminator_step(state: GANState, real: Tensor, real_labels: Tensor | None, fake: Tensor,
                       fake_labels: Tensor | None) -> dict[str, Tensor]:
    recipe = state.recipe
    real_logits, real_classes = critic(state, real, real_labels)
    fake_logits, _ = critic(state, fake, fake_labels)
    loss = recipe.loss.discriminator(real_logits, fake_logits)
    stats = {"d_loss": loss.detach()}
    aux = class_loss(real_classes, real_labels, recipe.aux_weight * state.conditioning)
    if aux is not None:
        loss = loss + aux
        stats["d_class_loss"] = aux.detach()
    if recipe.penalties and state.step % recipe.penalty_every == 0:
        for penalty in recipe.penalties:
            value = penalty.fn(state.discriminator, real, real_labels, fake, fake_labels)
            loss = loss + penalty.weight * recipe.penalty_every * value
            stats[f"penalty_{penalty.name}"] = value.detach()
    state.opt_d.zero_grad(set_to_none=True)
    loss.backward()
    state.opt_d.step()
    acc_real, acc_fake = discriminator_accuracy(real_logits.detach(), fake_logits.detach())
    stats |= {"d_acc_real": acc_real, "d_acc_fake": acc_fake, "d_real_sign": real_logits.detach().sign().mean()}
    return stats


def generator_step(state: GANState, real: Tensor, real_labels: Tensor | None, fake: Tensor,
                   fake_labels: Tensor | None, z: Tensor | None = None) -> dict[str, Tensor]:
    """G through a frozen D; ``z`` (the noise of ``fake``) is needed only by the mode-seeking term."""
    recipe = state.recipe
    # D without its DDP wrapper: its weights are frozen here, and a wrapped forward would wait for a
    # gradient all-reduce that G's backward never triggers. G's wrapper still averages G's gradients.
    discriminator = bare(state.discriminator)
    trainable = [p.requires_grad for p in discriminator.parameters()]  # FreezeD keeps some frozen throughout
    set_requires_grad(discriminator, False)  # G's backward need not fill D's gradients
    try:
        fake_logits, fake_classes = critic(state, fake, fake_labels, discriminator)
        real_logits = None
        if recipe.loss.generator_needs_real:
            real_logits, _ = critic(state, real, real_labels, discriminator)
        loss = recipe.loss.generator(fake_logits, real_logits)
        stats = {"g_loss": loss.detach()}
        aux = class_loss(fake_classes, fake_labels, recipe.aux_weight * state.conditioning)
        if aux is not None:
            loss = loss + aux
            stats["g_class_loss"] = aux.detach()
        if recipe.mode_seeking > 0 and z is not None:
            seeking = mode_seeking_loss(fake, z)
            loss = loss + recipe.mode_seeking * seeking
            stats["g_mode_seeking"] = seeking.detach()
        state.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        state.opt_g.step()
    finally:
        for parameter, flag in zip(discriminator.parameters(), trainable, strict=True):
            parameter.requires_grad_(flag)
    return stats


def train_step(state: GANState, real: Tensor, real_labels: Tensor | None, ema_beta: float = 0.0) -> dict[str, Tensor]:
    """Update D once and G once on one batch of real images (float, [-1, 1], on the device).

    ``real_labels`` is None for an unconditional model. ``ema_beta`` is the EMA decay for this step (the
    loop computes it from the schedule). Returns detached scalar tensors: d_loss, g_loss, d_acc_real,
    d_acc_fake, d_real_sign, and the penalty and class-loss terms that ran.
    """
    recipe = state.recipe
    if recipe.channels_last:
        real = real.contiguous(memory_format=torch.channels_last)
    z, fake_labels = draw_noise(recipe, real.shape[0], state.noise)
    with autocast(recipe.device, recipe.autocast_dtype):
        fake = state.generator(z, fake_labels)  # (B, C, H, W)
    stats = discriminator_step(state, real, real_labels, fake.detach(), fake_labels)
    stats |= generator_step(state, real, real_labels, fake, fake_labels, z)
    if state.ada is not None:  # after both updates: one step sees one p
        stats["augment_p"] = torch.tensor(state.ada.p, dtype=torch.float64)
        state.ada.observe(stats["d_real_sign"], real.shape[0] * recipe.world_size, recipe.world_size)
    if state.generator_ema is not None:
        update_ema(state.generator_ema, bare(state.generator), ema_beta)
    state.step += 1
    return stats


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)
