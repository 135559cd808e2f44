"""Strong augmentation for classifiers: a flip, one random op of random strength, then random erasing.

The op follows TrivialAugment (Müller & Hutter 2021, "TrivialAugment: Tuning-free Yet State-of-the-Art Data
Augmentation"): each image gets one op drawn uniformly from a fixed list, at a strength drawn uniformly,
with no search and no tuned magnitudes; it matched or beat RandAugment and AutoAugment on CIFAR and
ImageNet. The ranges are RandAugment's (Cubuk et al. 2020): rotation up to 30°, shear up to 0.3,
translation up to 30 % of the side, brightness/contrast/sharpness factors 0.1–1.9, posterize to 4–8 bits.
Random erasing (Zhong et al. 2020, "Random Erasing Data Augmentation") then replaces a rectangle of 2–33 %
of the image, aspect 0.3–3.3, with noise, in half the images. Everything runs on whole batches on the
device; random numbers come from a CPU generator, so a seeded run is reproducible anywhere.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

Tensor = torch.Tensor

OPS = ("identity", "autocontrast", "equalize", "rotate", "solarize", "posterize", "contrast", "brightness",
       "sharpness", "shear_x", "shear_y", "translate_x", "translate_y")
GEOMETRIC = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")
MAX_ROTATE_DEG, MAX_SHEAR, MAX_TRANSLATE, MAX_FACTOR_CHANGE = 30.0, 0.3, 0.3, 0.9
ERASE_P, ERASE_AREA, ERASE_ASPECT = 0.5, (0.02, 0.33), (0.3, 3.3)


def _rand(n: int, rng: torch.Generator, device: torch.device) -> Tensor:
    return torch.rand(n, generator=rng).to(device)


def _signed(strength: Tensor, rng: torch.Generator) -> Tensor:
    """``strength`` with a random sign (symmetric ops)."""
    sign = torch.randint(0, 2, strength.shape, generator=rng).to(strength.device) * 2 - 1
    return strength * sign


def geometric(y: Tensor, op: Tensor, strength: Tensor, rng: torch.Generator) -> Tensor:
    """Rotate, shear or translate the images whose op is geometric (others get the identity); edges repeat."""
    n = y.shape[0]
    s = _signed(strength, rng)
    theta = torch.zeros(n, 2, 3, device=y.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    angle = torch.deg2rad(s * MAX_ROTATE_DEG) * (op == OPS.index("rotate"))
    theta[:, 0, 0], theta[:, 0, 1] = torch.cos(angle), -torch.sin(angle)
    theta[:, 1, 0], theta[:, 1, 1] = torch.sin(angle), torch.cos(angle)
    theta[:, 0, 1] += s * MAX_SHEAR * (op == OPS.index("shear_x"))
    theta[:, 1, 0] += s * MAX_SHEAR * (op == OPS.index("shear_y"))
    theta[:, 0, 2] = 2 * s * MAX_TRANSLATE * (op == OPS.index("translate_x"))  # grid units: 2 = the side
    theta[:, 1, 2] = 2 * s * MAX_TRANSLATE * (op == OPS.index("translate_y"))
    grid = F.affine_grid(theta.to(y.dtype), list(y.shape), align_corners=False)
    return F.grid_sample(y, grid, mode="bilinear", padding_mode="border", align_corners=False)


def equalize(y: Tensor) -> Tensor:
    """Histogram equalisation per image and channel on 256 levels (PIL's ImageOps.equalize, in tensors)."""
    n, c = y.shape[:2]
    levels = (y * 255).round().long().clamp(0, 255).flatten(2)  # (N, C, HW)
    histogram = torch.zeros(n, c, 256, device=y.device).scatter_add_(2, levels, torch.ones_like(levels, dtype=y.dtype))
    cdf = histogram.cumsum(2)
    first = torch.where(histogram > 0, cdf, torch.full_like(cdf, float("inf"))).amin(2, keepdim=True)
    total = cdf[..., -1:]
    lut = ((cdf - first) / (total - first).clamp_min(1)).clamp(0, 1)
    return lut.gather(2, levels).view_as(y)


def sharpen(y: Tensor, factor: Tensor) -> Tensor:
    """Blend with PIL's smoothing kernel: factor 0 is blurred, 1 the image, above 1 sharper."""
    kernel = torch.tensor([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]], device=y.device) / 13
    c = y.shape[1]
    blurred = F.conv2d(F.pad(y, [1, 1, 1, 1], mode="replicate"), kernel.expand(c, 1, 3, 3).to(y.dtype), groups=c)
    return blurred + factor * (y - blurred)


def photometric(y: Tensor, op: Tensor, strength: Tensor, rng: torch.Generator) -> Tensor:
    """The colour ops, each where ``op`` picks it; ``y`` in [0, 1]."""
    def where(name: str, value: Tensor) -> Tensor:
        return torch.where((op == OPS.index(name)).view(-1, 1, 1, 1), value, y)

    factor = (1 + _signed(strength, rng) * MAX_FACTOR_CHANGE).view(-1, 1, 1, 1)
    low, high = y.amin(dim=(2, 3), keepdim=True), y.amax(dim=(2, 3), keepdim=True)
    mean = y.mean(dim=(1, 2, 3), keepdim=True)
    bits = (8 - (strength * 4).round()).view(-1, 1, 1, 1)  # 8 .. 4 bits
    step = torch.exp2(8 - bits)
    out = where("autocontrast", (y - low) / (high - low).clamp_min(1e-3))
    out = torch.where((op == OPS.index("equalize")).view(-1, 1, 1, 1), equalize(y), out)
    threshold = (1 - strength).view(-1, 1, 1, 1)
    for name, value in (("solarize", torch.where(y >= threshold, 1 - y, y)),
                        ("posterize", torch.floor(y * 255 / step) * step / 255),
                        ("contrast", (y - mean) * factor + mean), ("brightness", y * factor),
                        ("sharpness", sharpen(y, factor))):
        out = torch.where((op == OPS.index(name)).view(-1, 1, 1, 1), value, out)
    return out.clamp(0, 1)


def random_erase(y: Tensor, rng: torch.Generator) -> Tensor:
    """In ``ERASE_P`` of the images, a rectangle of random area and aspect filled with uniform noise."""
    n, _, h, w = y.shape
    area = (ERASE_AREA[0] + torch.rand(n, generator=rng) * (ERASE_AREA[1] - ERASE_AREA[0])) * h * w
    log_aspect = math.log(ERASE_ASPECT[0]) + torch.rand(n, generator=rng) * math.log(ERASE_ASPECT[1] / ERASE_ASPECT[0])
    eh = (area * log_aspect.exp()).sqrt().clamp(1, h)
    ew = (area / log_aspect.exp()).sqrt().clamp(1, w)
    top = torch.rand(n, generator=rng) * (h - eh)
    left = torch.rand(n, generator=rng) * (w - ew)
    erase = torch.rand(n, generator=rng) < ERASE_P
    rows = torch.arange(h).view(1, h, 1)
    cols = torch.arange(w).view(1, 1, w)
    inside = (rows >= top.view(n, 1, 1)) & (rows < (top + eh).view(n, 1, 1)) & (cols >= left.view(n, 1, 1)) \
        & (cols < (left + ew).view(n, 1, 1)) & erase.view(n, 1, 1)
    noise = torch.rand(y.shape, generator=rng).to(y.device, y.dtype)
    return torch.where(inside.unsqueeze(1).to(y.device), noise, y)


def strong(x: Tensor, rng: torch.Generator) -> Tensor:
    """float [-1, 1] batch (N, C, H, W) → a left-right flip in half, one TrivialAugment op each, random erasing."""
    n, device = x.shape[0], x.device
    flip = (torch.rand(n, generator=rng) < 0.5).to(device).view(n, 1, 1, 1)
    y = (torch.where(flip, x.flip(-1), x) + 1) / 2
    op = torch.randint(0, len(OPS), (n,), generator=rng).to(device)
    strength = _rand(n, rng, device)
    y = geometric(y, op, strength, rng)
    y = photometric(y, op, strength, rng)
    return random_erase(y, rng) * 2 - 1
