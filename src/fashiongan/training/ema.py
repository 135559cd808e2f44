"""An exponential moving average of the generator's weights, which samples better than G itself.

The EMA's half-life is counted in images (Karras et al. 2019/2020: ema_kimg) and is at most a share of
the images seen so far (ema_rampup), so early EMA weights are not an average of random ones. BatchNorm
statistics cannot be averaged meaningfully: before the EMA copy samples, they are recomputed from a few
batches of noise.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def make_ema(generator: nn.Module) -> nn.Module:
    ema = copy.deepcopy(generator).eval()
    ema.requires_grad_(False)
    return ema


def ema_beta(batch_size: int, ema_kimg: float, images_seen: int, rampup: float) -> float:
    """Decay per step for a half-life of ``ema_kimg`` thousand images, but at most ``rampup`` × the images
    seen so far (Karras et al. 2020, ``ema_rampup``): early on the EMA follows G closely instead of
    averaging in the random start. Measured here: with the half-life ramped up over 5 % of the *budget*
    instead, the EMA copy of a 1-minute run scored worse than G itself (FID 222 against 188)."""
    half_life = ema_kimg * 1000.0
    if rampup > 0:
        half_life = min(half_life, rampup * images_seen)
    return 0.5 ** (batch_size / max(half_life, 1e-8))


@torch.no_grad()
def update_ema(ema: nn.Module, generator: nn.Module, beta: float) -> None:
    """ema ← beta·ema + (1 - beta)·generator for parameters (one fused op); buffers are copied."""
    ema_params = list(ema.parameters())
    params = [p.detach() for p in generator.parameters()]
    torch._foreach_lerp_(ema_params, params, 1.0 - beta)
    for ema_buffer, buffer in zip(ema.buffers(), generator.buffers(), strict=True):
        ema_buffer.copy_(buffer)


def has_batchnorm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@torch.no_grad()
def recompute_batchnorm(generator: nn.Module, num_classes: int, device: torch.device, batches: int = 8,
                        batch_size: int = 256, seed: int = 123_456) -> None:
    """Reset BatchNorm running statistics and re-estimate them (cumulative average) from fresh noise."""
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over the batches below
    rng = torch.Generator(device=device).manual_seed(seed)
    generator.train()
    for _ in range(batches):
        z = torch.randn(batch_size, generator.z_dim, device=device, generator=rng)
        labels = torch.randint(0, num_classes, (batch_size,), device=device, generator=rng) if num_classes else None
        generator(z, labels)
    generator.eval()
    for m in norms:
        m.momentum = 0.1
