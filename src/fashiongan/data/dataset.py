"""The in-memory dataset every part of the toolkit passes around."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ImageDataset:
    """Images kept as uint8 until they reach the device.

    images: uint8 tensor (N, C, H, W), C = 1 (gray) or 3 (RGB).
    labels: int64 tensor (N,), indices into ``class_names``.
    """

    images: torch.Tensor
    labels: torch.Tensor
    class_names: list[str]

    def __post_init__(self) -> None:
        assert self.images.dtype == torch.uint8 and self.images.ndim == 4, self.images.shape
        assert self.labels.dtype == torch.int64 and self.labels.shape == (self.images.shape[0],)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def subset(self, indices: torch.Tensor) -> ImageDataset:
        return ImageDataset(self.images[indices], self.labels[indices], list(self.class_names))

    def random_subset(self, n: int, seed: int) -> ImageDataset:
        """A seeded random subset of ``n`` images (all of them if ``n >= len``)."""
        if n >= len(self):
            return self
        generator = torch.Generator().manual_seed(seed)
        indices = torch.randperm(len(self), generator=generator)[:n].sort().values
        return self.subset(indices)
