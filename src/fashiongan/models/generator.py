"""DCGAN generator (Radford et al. 2016) for 28…256 px, 1 or 3 channels, optionally class-conditional."""

from __future__ import annotations

import torch
from torch import nn

from fashiongan.models.layers import activation, norm_2d, num_upsamplings


class Generator(nn.Module):
    """z (and a class label) → dense → (init_size × init_size × base_channels) → ConvTranspose ×2 steps → tanh.

    The class label is embedded and joined to the noise (Mirza & Osindero 2014). Channels halve at each
    step, from ``base_channels`` (capped at ``max_channels``) down to no fewer than 16.
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
        embed_dim: int = 50,
        norm: str = "batch",
        act: str = "relu",
    ) -> None:
        super().__init__()
        self.z_dim, self.num_classes, self.image_size, self.channels = z_dim, num_classes, image_size, channels
        self.init_size = init_size
        steps = num_upsamplings(image_size, init_size)
        width = min(base_channels, max_channels)
        self.label_embedding = nn.Embedding(num_classes, embed_dim) if num_classes > 0 else None
        if self.label_embedding is not None:
            # Small against the N(0, 1) noise: at N(0, 1) the label dominates and the generator learns to
            # ignore z (one image per class); at DCGAN's 0.02 it ignores the label for the first epochs.
            nn.init.normal_(self.label_embedding.weight, 0.0, 0.1)
        in_features = z_dim + (embed_dim if num_classes > 0 else 0)
        self.project = nn.Sequential(
            nn.Linear(in_features, width * init_size * init_size, bias=norm == "none"),
            nn.Unflatten(1, (width, init_size, init_size)),
            norm_2d(norm, width),
            activation(act),
        )
        blocks: list[nn.Module] = []
        for _ in range(steps - 1):  # each block doubles the side, halves the channels
            out = max(16, width // 2)
            blocks += [
                nn.ConvTranspose2d(width, out, 4, stride=2, padding=1, bias=norm == "none"),
                norm_2d(norm, out),
                activation(act),
            ]
            width = out
        blocks += [nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """z: (N, z_dim), labels: (N,) int64 for a conditional model → images (N, C, S, S) in [-1, 1]."""
        if self.label_embedding is not None:
            if labels is None:
                raise ValueError("a conditional generator needs labels")
            z = torch.cat([z, self.label_embedding(labels)], dim=1)  # (N, z_dim + embed_dim)
        return self.blocks(self.project(z))
