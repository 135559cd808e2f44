"""Spectral-norm discriminators with projection conditioning and an optional auxiliary class head.

Spectral normalisation bounds each layer's Lipschitz constant (Miyato et al. 2018); the class enters as
the inner product of an embedded label with the pooled features (projection, Miyato & Koyama 2018),
and an optional linear head predicts the class of every image (AC-GAN, Odena et al. 2017). With the head
the forward returns (N, 1 + K): column 0 is the real/fake logit, the rest class logits; without it (N,).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from fashiongan.models.layers import MinibatchStd


def sn_conv(in_channels: int, out_channels: int, kernel: int, stride: int, padding: int) -> nn.Module:
    return spectral_norm(nn.Conv2d(in_channels, out_channels, kernel, stride, padding))


class ResDownBlock(nn.Module):
    """Residual block: (ReLU-)conv3-ReLU-conv3-avgpool plus a 1×1 avgpooled shortcut (SNGAN's D block)."""

    def __init__(self, in_channels: int, out_channels: int, first: bool) -> None:
        super().__init__()
        self.first = first
        self.conv1 = sn_conv(in_channels, out_channels, 3, 1, 1)
        self.conv2 = sn_conv(out_channels, out_channels, 3, 1, 1)
        self.shortcut = sn_conv(in_channels, out_channels, 1, 1, 0)
        self.pool = nn.AvgPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else torch.relu(x)
        h = self.pool(self.conv2(torch.relu(self.conv1(h))))
        return h + self.shortcut(self.pool(x))


def conv_trunk(
    channels: int, base: int, max_channels: int, image_size: int, final_size: int, depth: int = 2
) -> tuple[nn.Module, int]:
    """SNGAN's standard CNN: a 3×3 conv, then per scale a 4×4 stride-2 conv (and a 3×3 one at depth 2), LReLU 0.1."""
    layers: list[nn.Module] = [sn_conv(channels, base, 3, 1, 1), nn.LeakyReLU(0.1)]
    width, size = base, image_size
    while size > final_size:
        out = min(width * 2, max_channels)
        layers += [sn_conv(width, out, 4, 2, 1), nn.LeakyReLU(0.1)]
        if depth > 1:
            layers += [sn_conv(out, out, 3, 1, 1), nn.LeakyReLU(0.1)]
        width, size = out, size // 2
    return nn.Sequential(*layers), width


def residual_trunk(
    channels: int, base: int, max_channels: int, image_size: int, final_size: int
) -> tuple[nn.Module, int]:
    blocks: list[nn.Module] = []
    width, size, in_channels = base, image_size, channels
    while size > final_size:
        blocks.append(ResDownBlock(in_channels, width, first=not blocks))
        in_channels, width, size = width, min(width * 2, max_channels), size // 2
    return nn.Sequential(*blocks, nn.ReLU()), in_channels


class ProjectionDiscriminator(nn.Module):
    """Spectral-norm trunk → global sum pool → linear logit + ⟨embed(label), features⟩ (+ class head)."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        base_channels: int = 64,
        max_channels: int = 512,
        num_classes: int = 0,
        residual: bool = False,
        aux_classes: bool = False,
        minibatch_std: bool = False,
        depth: int = 2,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        final_size = 7 if image_size == 28 else 4
        if residual:
            self.trunk, width = residual_trunk(channels, base_channels, max_channels, image_size, final_size)
        else:
            self.trunk, width = conv_trunk(channels, base_channels, max_channels, image_size, final_size, depth)
        self.minibatch_std = MinibatchStd() if minibatch_std else None
        width += 1 if minibatch_std else 0
        self.head = spectral_norm(nn.Linear(width, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, width)) if num_classes > 0 else None
        self.class_head = nn.Linear(width, num_classes) if aux_classes and num_classes > 0 else None

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """images (N, C, S, S) in [-1, 1] → logits (N,), or (N, 1 + K) with the class head."""
        h = self.trunk(images)  # (N, W, s, s)
        if self.minibatch_std is not None:
            h = self.minibatch_std(h)
        features = h.sum(dim=(2, 3))  # (N, W)
        logits = self.head(features).squeeze(1)  # (N,)
        if self.embed is not None:
            if labels is None:
                raise ValueError("a conditional discriminator needs labels")
            logits = logits + (self.embed(labels) * features).sum(1)
        if self.class_head is None:
            return logits
        return torch.cat([logits[:, None], self.class_head(features)], dim=1)
