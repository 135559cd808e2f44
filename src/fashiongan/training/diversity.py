"""The mode-seeking term (Mao et al. 2019, "Mode Seeking GANs for Diverse Image Synthesis", eq. 3).

A class-conditional G may learn to ignore its noise and draw one image per class (what the 64-px folders
showed, docs/fewshot.md). The term pays G for moving its image when its noise moves: the batch's noises
come in pairs of one class (rows 2k and 2k+1), and G minimises 1 / (image distance / noise distance).
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor

EPSILON = 1e-5  # the paper's: keeps the reciprocal finite when G ignores its noise altogether


def paired_labels(labels: Tensor) -> Tensor:
    """Labels with row 2k+1 given row 2k's class, so each adjacent pair of noises shares a class."""
    paired = labels.clone()
    even = labels.shape[0] // 2 * 2
    paired[1:even:2] = labels[0:even:2]
    return paired


def mode_seeking_loss(images: Tensor, z: Tensor) -> Tensor:
    """1 / (mean |image_2k - image_2k+1| / mean |z_2k - z_2k+1| + eps) over the batch's pairs (a scalar)."""
    even = images.shape[0] // 2 * 2
    if even == 0:
        return images.new_zeros(()).float()
    images, z = images[:even].float(), z[:even].float()
    image_distance = (images[0::2] - images[1::2]).abs().mean()
    noise_distance = (z[0::2] - z[1::2]).abs().mean()
    return 1.0 / (image_distance / noise_distance + EPSILON)
