"""Discriminators: a strided-conv DCGAN one and a two-layer MLP, both optionally class-conditional.

Both return one logit per image (no sigmoid: the losses use BCE-with-logits). A conditional
discriminator sees the class label as an extra input: an embedded label map joined as one more
image channel (conv) or an embedding joined to the flattened pixels (MLP).
"""

from __future__ import annotations

import torch
from torch import nn

from fashiongan.models.layers import MinibatchStd, norm_2d


class ConvDiscriminator(nn.Module):
    """Conv(4, stride 2) + LeakyReLU steps until the map is 7×7 (28 px) or 4×4, then a linear logit."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        base_channels: int = 64,
        max_channels: int = 512,
        num_classes: int = 0,
        norm: str = "none",
        dropout: float = 0.0,
        minibatch_std: bool = False,
    ) -> None:
        super().__init__()
        self.image_size, self.num_classes = image_size, num_classes
        self.label_map = nn.Embedding(num_classes, image_size * image_size) if num_classes > 0 else None
        in_channels = channels + (1 if num_classes > 0 else 0)
        final_size = 7 if image_size == 28 else 4
        layers: list[nn.Module] = []
        size, width = image_size, base_channels
        first = True
        while size > final_size:
            layers += [
                nn.Conv2d(in_channels, width, 4, stride=2, padding=1, bias=first or norm == "none"),
                nn.Identity() if first else norm_2d(norm, width),  # no norm on the input layer (DCGAN)
                nn.LeakyReLU(0.2, inplace=True),
            ]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            in_channels, width, size, first = width, min(width * 2, max_channels), size // 2, False
        if minibatch_std:
            layers.append(MinibatchStd())
            in_channels += 1
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(in_channels * final_size * final_size, 1)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """images (N, C, S, S) in [-1, 1] → logits (N,)."""
        if self.label_map is not None:
            if labels is None:
                raise ValueError("a conditional discriminator needs labels")
            label_plane = self.label_map(labels).view(-1, 1, self.image_size, self.image_size)
            images = torch.cat([images, label_plane], dim=1)  # (N, C + 1, S, S)
        return self.head(self.features(images).flatten(1)).squeeze(1)


class MLPDiscriminator(nn.Module):
    """Flatten → dense → LeakyReLU → dense → LeakyReLU → logit, with optional dropout."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        hidden: int = 512,
        num_classes: int = 0,
        embed_dim: int = 50,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.label_embedding = nn.Embedding(num_classes, embed_dim) if num_classes > 0 else None
        in_features = channels * image_size * image_size + (embed_dim if num_classes > 0 else 0)
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = images.flatten(1)  # (N, C*S*S)
        if self.label_embedding is not None:
            if labels is None:
                raise ValueError("a conditional discriminator needs labels")
            x = torch.cat([x, self.label_embedding(labels)], dim=1)
        return self.net(x).squeeze(1)
