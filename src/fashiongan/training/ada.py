"""Adaptive discriminator augmentation (ADA): augment what D sees with a probability tuned during training.

Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data": every image D sees, real
and fake, passes through a pipeline of augmentations, each applied to each image with probability ``p``.
``p`` starts at 0 and moves every few steps by the sign of ``E[sign D(real)] - target`` (their r_t
heuristic, sec. 3): when D is sure of almost every real image it is memorising them, and more augmentation
is needed; when it is not, less. Applied to reals and fakes alike, and differentiably, the augmentations
change what D learns from without ever reaching G's samples, as long as each is applied with a probability
below one (their sec. 2.2, "non-leaking" augmentations); ``MAX_P`` keeps ``p`` below the point where their
Fig. 3 shows leaks.

The ops, chosen cheap enough for a CPU step (one ``grid_sample`` and a few elementwise passes per batch), in
the groups ``train.ada_ops`` names (ADA's b, g and c, and cutout):
- x-flip (a flipped garment or product is still one; each image is flipped with probability p/2);
- integer translation by up to 1/8 of the side, with reflected borders (no artificial frame);
- isotropic scaling (log2-normal, std 0.2) and rotation (uniform, up to ``MAX_ROTATION_DEG``), one affine;
- brightness (+N(0, 0.2)), contrast (x2^N(0, 0.5)) and, for colour images, saturation (x2^N(0, 1));
- cutout of a square half the side, filled with mid-grey (DeVries & Taylor 2017).
ADA's pixel blitting, geometric and colour groups ('bgc') were its strongest on small data sets (Fig. 4);
cutout is DiffAugment's op (Zhao et al. 2020) that this project already measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

Tensor = torch.Tensor

MAX_P = 0.8
TRANSLATE = 0.125
SCALE_STD = 0.2  # log2 units
MAX_ROTATION_DEG = 15.0
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5  # log2 units
SATURATION_STD = 1.0  # log2 units
CUTOUT = 0.5


def _apply(n: int, p: float, x: Tensor, rng: torch.Generator) -> Tensor:
    """(n,) bool: which images an op with probability ``p`` applies to."""
    return torch.rand(n, device=x.device, generator=rng) < p


def _normal(n: int, x: Tensor, rng: torch.Generator) -> Tensor:
    return torch.randn(n, device=x.device, generator=rng)


def _reflect(index: Tensor, size: int) -> Tensor:
    """Indices outside [0, size) mirrored back inside (shifts are at most a quarter of the side)."""
    index = index.abs()
    return torch.where(index > size - 1, 2 * (size - 1) - index, index)


def flip_and_translate(x: Tensor, p: float, rng: torch.Generator) -> Tensor:
    """x-flip with probability p/2 and an integer shift (reflected borders) with probability p, per image."""
    n, _, h, w = x.shape
    flip = _apply(n, p, x, rng) & (torch.rand(n, device=x.device, generator=rng) < 0.5)
    shift = _apply(n, p, x, rng)
    dy = (torch.rand(n, device=x.device, generator=rng) * 2 - 1).mul(TRANSLATE * h).round().long() * shift
    dx = (torch.rand(n, device=x.device, generator=rng) * 2 - 1).mul(TRANSLATE * w).round().long() * shift
    cols = torch.arange(w, device=x.device).view(1, 1, w).expand(n, 1, w)
    cols = torch.where(flip.view(n, 1, 1), w - 1 - cols, cols)  # read the columns backwards
    rows = _reflect(torch.arange(h, device=x.device).view(1, h, 1) - dy.view(n, 1, 1), h)  # (N, H, 1)
    cols = _reflect(cols - dx.view(n, 1, 1), w)  # (N, 1, W)
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return x.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def scale_and_rotate(x: Tensor, p: float, rng: torch.Generator) -> Tensor:
    """Isotropic scaling and a rotation about the centre, each with probability p; reflected borders."""
    n = x.shape[0]
    scale = torch.exp2(_normal(n, x, rng) * SCALE_STD * _apply(n, p, x, rng))
    angle = (torch.rand(n, device=x.device, generator=rng) * 2 - 1) * math.radians(MAX_ROTATION_DEG)
    angle = angle * _apply(n, p, x, rng)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale  # output → input coordinates
    zero = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)  # (N, 2, 3)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def color(x: Tensor, p: float, rng: torch.Generator) -> Tensor:
    """Brightness, contrast and (colour images) saturation, each with probability p per image."""
    n = x.shape[0]

    def draw(std: float) -> Tensor:
        return (_normal(n, x, rng) * std * _apply(n, p, x, rng)).view(n, 1, 1, 1).to(x.dtype)

    x = x + draw(BRIGHTNESS_STD)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * torch.exp2(draw(CONTRAST_STD)) + mean
    if x.shape[1] == 3:
        luma = x.mean(dim=1, keepdim=True)
        x = (x - luma) * torch.exp2(draw(SATURATION_STD)) + luma
    return x


def cutout(x: Tensor, p: float, rng: torch.Generator) -> Tensor:
    """A square of half the side, centred at a uniform random point, set to 0 (mid-grey), with probability p."""
    n, _, h, w = x.shape
    apply = _apply(n, p, x, rng).view(n, 1, 1)
    cy = torch.rand(n, 1, 1, device=x.device, generator=rng) * h
    cx = torch.rand(n, 1, 1, device=x.device, generator=rng) * w
    rows = torch.arange(h, device=x.device).view(1, h, 1) + 0.5
    cols = torch.arange(w, device=x.device).view(1, 1, w) + 0.5
    inside = ((rows - cy).abs() < CUTOUT * h / 2) & ((cols - cx).abs() < CUTOUT * w / 2) & apply  # (N, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)


ADA_OPS = {"blit": flip_and_translate, "geom": scale_and_rotate, "color": color, "cutout": cutout}


def ada_augment(x: Tensor, p: float, rng: torch.Generator, ops: tuple[str, ...] = tuple(ADA_OPS)) -> Tensor:
    """The pipeline's groups ``ops`` at probability ``p`` (0: the images unchanged, no random numbers drawn)."""
    if p <= 0:
        return x
    channels_last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    for name in ops:
        x = ADA_OPS[name](x, p, rng)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


@dataclass
class AdaptiveAugment:
    """The augmentation probability and what moves it; one per training run, saved in every checkpoint.

    ``observe`` is called after every D step with that step's mean sign of D on the real batch. Every
    ``interval`` steps, ``p`` moves by ``interval × batch / (kimg × 1000)`` towards more augmentation when
    the mean sign exceeds ``target``, and as much towards less when it is below: at that rate ``p`` can go
    from 0 to 1 in ``kimg`` thousand real images (ADA's ``ada_kimg``).
    """

    target: float = 0.6
    kimg: float = 100.0
    interval: int = 4
    ops: tuple[str, ...] = tuple(ADA_OPS)
    p: float = 0.0
    steps: int = 0  # steps observed since the last adjustment
    pending: Tensor | None = field(default=None, repr=False)  # their summed signs, on the device

    def augment(self, x: Tensor, rng: torch.Generator) -> Tensor:
        return ada_augment(x, self.p, rng, self.ops)

    def observe(self, real_sign: Tensor, global_batch: int, world_size: int = 1) -> None:
        """Accumulate one step's mean sign of D(real); adjust ``p`` every ``interval`` steps.

        The host reads the sign only at an adjustment (one sync every ``interval`` steps); with several
        ranks their means are averaged first, so every rank moves ``p`` the same way.
        """
        sign = real_sign.detach().float()
        self.pending = sign if self.pending is None or self.steps == 0 else self.pending + sign
        self.steps += 1
        if self.steps < self.interval:
            return
        total = self.pending.clone()
        if world_size > 1:
            torch.distributed.all_reduce(total)
            total /= world_size
        mean_sign = float(total) / self.steps
        direction = (mean_sign > self.target) - (mean_sign < self.target)
        self.p = min(MAX_P, max(0.0, self.p + direction * self.steps * global_batch / (self.kimg * 1000)))
        self.steps, self.pending = 0, None

    def state_dict(self) -> dict[str, float | int]:
        """What a checkpoint keeps: ``p`` and the signs of an adjustment interval in progress."""
        pending = float(self.pending) if self.steps and self.pending is not None else 0.0
        return {"p": self.p, "pending": pending, "steps": self.steps}

    def load_state_dict(self, state: dict[str, float | int]) -> None:
        self.p, self.steps = float(state["p"]), int(state["steps"])
        self.pending = torch.tensor(float(state["pending"])) if self.steps else None
