"""Small building blocks shared by the generator and the discriminators."""

from __future__ import annotations

import torch
from torch import nn


def activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "lrelu":
        return nn.LeakyReLU(0.2, inplace=True)
    raise ValueError(f"unknown activation {name!r}")


def norm_2d(name: str, channels: int) -> nn.Module:
    """'batch' → BatchNorm2d, 'layer' → GroupNorm with one group (LayerNorm over C, H, W), 'none' → identity."""
    if name == "batch":
        return nn.BatchNorm2d(channels)
    if name == "layer":
        return nn.GroupNorm(1, channels)
    if name == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {name!r}")


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al. 2016, sec. 4): N(0, 0.02) weights, norm scales N(1, 0.02).

    Class embeddings keep the initialisation their module chose (see Generator and ConvDiscriminator):
    at 0.02 the label would be drowned by the noise and the pixels, and conditioning learned far later.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class MinibatchStd(nn.Module):
    """Append the batch's mean feature standard deviation as one more channel (Karras et al. 2018, sec. 3).

    A discriminator that sees how varied a batch is can punish a generator that makes one image per
    class (mode collapse). Statistics are taken over groups of ``group_size`` images.
    """

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        group = min(self.group_size, n)
        while n % group:
            group -= 1
        y = x.view(group, -1, c, h, w)  # image i is in group i % (n // group)
        y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt()  # (n // group, c, h, w)
        y = y.mean(dim=(1, 2, 3)).view(-1, 1, 1, 1).repeat(group, 1, h, w)  # (n, 1, h, w)
        return torch.cat([x, y], dim=1)


def num_upsamplings(image_size: int, init_size: int) -> int:
    """How many x2 steps take ``init_size`` to ``image_size`` (must be a power of two ratio)."""
    steps, size = 0, init_size
    while size < image_size:
        size *= 2
        steps += 1
    if size != image_size:
        raise ValueError(f"image size {image_size} is not {init_size} times a power of two")
    return steps


def scale_to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] → float [-1, 1], on whatever device ``images`` is on."""
    return images.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float [-1, 1] → uint8 [0, 255] (rounded, clamped)."""
    return images.add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)
