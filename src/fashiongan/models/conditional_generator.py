"""Generators with class-conditional batch norm (cBN): a compact one and a residual one.

The class enters every normalisation layer as a per-class gain and bias (de Vries et al. 2017; Miyato &
Koyama 2018, sec. 3), which conditions G far more strongly than a label joined to the noise. Upsampling
is nearest-neighbour followed by a 3×3 conv by default: ConvTranspose with stride 2 tends to leave
checkerboard artifacts (Odena et al. 2016, "Deconvolution and Checkerboard Artifacts").
"""

from __future__ import annotations

import torch
from torch import nn

from fashiongan.models.layers import num_upsamplings


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm without its own affine, then a gain and bias looked up by class (plain affine if no classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.norm = nn.BatchNorm2d(channels, affine=num_classes == 0)
        if num_classes > 0:
            self.gain = nn.Embedding(num_classes, channels)
            self.bias = nn.Embedding(num_classes, channels)
            nn.init.ones_(self.gain.weight)
            nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        x = self.norm(x)
        if self.num_classes == 0:
            return x
        return x * self.gain(labels)[:, :, None, None] + self.bias(labels)[:, :, None, None]


def upsample_conv(in_channels: int, out_channels: int, mode: str) -> nn.Module:
    """×2 upsampling: nearest + 3×3 conv, or a 4×4 ConvTranspose with stride 2."""
    if mode == "convt":
        return nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(in_channels, out_channels, 3, 1, 1))


class UpBlock(nn.Module):
    """cBN → ReLU → ×2 upsample conv (the compact generator's stage)."""

    def __init__(self, in_channels: int, out_channels: int, num_classes: int, mode: str) -> None:
        super().__init__()
        self.norm = ConditionalBatchNorm2d(in_channels, num_classes)
        self.up = upsample_conv(in_channels, out_channels, mode)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.up(torch.relu(self.norm(x, labels)))


class ResUpBlock(nn.Module):
    """Residual ×2 block (BigGAN/SNGAN style): cBN-ReLU-up-conv-cBN-ReLU-conv plus an upsampled 1×1 shortcut."""

    def __init__(self, in_channels: int, out_channels: int, num_classes: int, mode: str) -> None:
        super().__init__()
        self.norm1 = ConditionalBatchNorm2d(in_channels, num_classes)
        self.up = upsample_conv(in_channels, out_channels, mode)
        self.norm2 = ConditionalBatchNorm2d(out_channels, num_classes)
        self.conv = nn.Conv2d(out_channels, out_channels, 3, 1, 1)
        self.shortcut = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                      nn.Conv2d(in_channels, out_channels, 1))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        h = self.up(torch.relu(self.norm1(x, labels)))
        h = self.conv(torch.relu(self.norm2(h, labels)))
        return h + self.shortcut(x)


class ConditionalGenerator(nn.Module):
    """z → dense → (init × init × width) → [×2 block, halving channels] × steps → cBN-ReLU-conv3×3 → tanh.

    ``residual`` picks ResUpBlock (for 32–256 px) over the compact UpBlock. Widths: ``base_channels`` at the
    first map, halving at each step, never below 16.
    """

    def __init__(
        self,
        z_dim: int,
        image_size: int,
        channels: int,
        init_size: int,
        base_channels: int,
        max_channels: int = 512,
        num_classes: int = 0,
        upsample: str = "nearest",
        residual: bool = False,
    ) -> None:
        super().__init__()
        self.z_dim, self.num_classes, self.image_size, self.channels = z_dim, num_classes, image_size, channels
        self.init_size = init_size
        width = min(base_channels, max_channels)
        self.project = nn.Linear(z_dim, width * init_size * init_size)
        self.width = width
        block = ResUpBlock if residual else UpBlock
        blocks = []
        for _ in range(num_upsamplings(image_size, init_size)):
            out = max(16, width // 2)
            blocks.append(block(width, out, num_classes, upsample))
            width = out
        self.blocks = nn.ModuleList(blocks)
        self.out_norm = ConditionalBatchNorm2d(width, num_classes)
        self.to_image = nn.Conv2d(width, channels, 3, 1, 1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """z: (N, z_dim), labels: (N,) int64 for a conditional model → images (N, C, S, S) in [-1, 1]."""
        if self.num_classes > 0 and labels is None:
            raise ValueError("a conditional generator needs labels")
        x = self.project(z).view(-1, self.width, self.init_size, self.init_size)  # (N, W, s, s)
        for block in self.blocks:
            x = block(x, labels)  # side ×2, channels ÷2
        return torch.tanh(self.to_image(torch.relu(self.out_norm(x, labels))))
