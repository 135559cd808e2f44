"""DiffAugment: differentiable augmentations applied to every image D sees, real and fake alike.

Because G's samples are augmented only on their way into D, the augmentations never leak into what G
draws (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training", sec. 3). Each
function takes images in [-1, 1] (N, C, H, W) and a torch.Generator on the same device.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
Augment = Callable[[Tensor, torch.Generator], Tensor]


def _uniform(n: int, x: Tensor, rng: torch.Generator) -> Tensor:
    return torch.rand(n, 1, 1, 1, device=x.device, generator=rng, dtype=torch.float32).to(x.dtype)


def color(x: Tensor, rng: torch.Generator) -> Tensor:
    """Random brightness (±0.5), saturation (×0–2, colour images only) and contrast (×0.5–1.5) per image."""
    n = x.shape[0]
    x = x + (_uniform(n, x, rng) - 0.5)
    if x.shape[1] == 3:
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (_uniform(n, x, rng) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(n, x, rng) + 0.5) + mean


def translation(x: Tensor, rng: torch.Generator, ratio: float = 0.125) -> Tensor:
    """Shift each image by up to ``ratio`` of its side, filling with zeros (mid-grey)."""
    n, _, h, w = x.shape
    dy_max, dx_max = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-dy_max, dy_max + 1, (n, 1, 1), device=x.device, generator=rng)
    dx = torch.randint(-dx_max, dx_max + 1, (n, 1, 1), device=x.device, generator=rng)
    rows = (torch.arange(h, device=x.device).view(1, h, 1) + dy + 1).clamp(0, h + 1)  # +1: the zero border
    cols = (torch.arange(w, device=x.device).view(1, 1, w) + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])  # (N, C, H+2, W+2)
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def cutout(x: Tensor, rng: torch.Generator, ratio: float = 0.5) -> Tensor:
    """Zero one square of ``ratio`` × the side at a random place in each image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h + 1 - ch % 2, (n, 1, 1), device=x.device, generator=rng) - ch // 2
    left = torch.randint(0, w + 1 - cw % 2, (n, 1, 1), device=x.device, generator=rng) - cw // 2
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)  # (N, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)


AUGMENTATIONS: dict[str, Augment] = {"color": color, "translation": translation, "cutout": cutout}


def build_augment(policy: str) -> Augment | None:
    """'none' → None; 'translation,cutout' → one function applying them in that order."""
    names = [] if policy == "none" else [p for p in policy.split(",") if p]
    if not names:
        return None
    functions = [AUGMENTATIONS[name] for name in names]

    def augment(x: Tensor, rng: torch.Generator) -> Tensor:
        for fn in functions:
            x = fn(x, rng)
        return x.contiguous(memory_format=torch.channels_last) if x.is_contiguous(
            memory_format=torch.channels_last) else x

    return augment
