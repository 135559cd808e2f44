"""Classifier presets: a fast strong CNN for 28 px gray, and the seeds' two models exactly.

Every model takes float images (N, C, H, W) scaled to [-1, 1] and returns logits: (N, K) for K-way
softmax, or (N, 1) for ``binary256``, whose single output is a sigmoid logit (the sigmoid is applied
inside the loss, BCE-with-logits, and by ``probabilities``; numerically this is sigmoid + BCE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from fashiongan.errors import UserError


def _conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True)]


def fmnist_cnn(channels: int, image_size: int, num_classes: int) -> nn.Sequential:
    """Two blocks of (conv3x3-BN-ReLU) x2 + max-pool + dropout (32, then 64 channels), a dense layer, the head.

    At 28 px: 32 @ 28 -> 14, 64 @ 14 -> 7, flatten 3136 -> 256 -> K. Chosen for accuracy per CPU-minute
    (docs/classify.md has the measurement).
    """
    side = image_size // 4
    return nn.Sequential(
        *_conv_bn_relu(channels, 32), *_conv_bn_relu(32, 32), nn.MaxPool2d(2), nn.Dropout(0.1),
        *_conv_bn_relu(32, 64), *_conv_bn_relu(64, 64), nn.MaxPool2d(2), nn.Dropout(0.2),
        nn.Flatten(),
        nn.Linear(64 * side * side, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True), nn.Dropout(0.3),
        nn.Linear(256, num_classes),
    )  # fmt: skip


def _flat_size(body: nn.Module, channels: int, image_size: int) -> int:
    with torch.no_grad():
        return int(body(torch.zeros(1, channels, image_size, image_size)).shape[1])


def small_cnn(channels: int, image_size: int, num_classes: int) -> nn.Sequential:
    """The seeds' 3-conv model: Conv32-3x3 ReLU, MaxPool, Conv64-3x3 ReLU, MaxPool, Conv64-3x3 ReLU,
    Flatten, Dense64 ReLU, Dense(K). 'valid' convolutions as in the seeds (28 -> 26 -> 13 -> 11 -> 5 -> 3)."""
    body = nn.Sequential(
        nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(),
        nn.Flatten(),
    )  # fmt: skip
    flat = _flat_size(body, channels, image_size)  # 576 at 28 px
    return nn.Sequential(*body, nn.Linear(flat, 64), nn.ReLU(), nn.Linear(64, num_classes))


def binary256(channels: int, image_size: int, num_classes: int) -> nn.Sequential:
    """The seeds' image-folder classifier: Conv16-3x3 ReLU, MaxPool, Conv32-3x3 ReLU, MaxPool, Conv16-3x3 ReLU,
    MaxPool, Flatten, Dense256 ReLU, Dense1 (sigmoid). At 256 px: 254 -> 127 -> 125 -> 62 -> 60 -> 30: 14,400."""
    if num_classes != 2:
        raise UserError(f"preset binary256 is a two-class classifier; the data has {num_classes} classes")
    body = nn.Sequential(
        nn.Conv2d(channels, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
    )  # fmt: skip
    flat = _flat_size(body, channels, image_size)
    return nn.Sequential(*body, nn.Linear(flat, 256), nn.ReLU(), nn.Linear(256, 1))


@dataclass(frozen=True)
class Preset:
    """A model builder and the training recipe that goes with it (flags override the recipe)."""

    build: Callable[[int, int, int], nn.Module]
    epochs: int
    batch_size: int
    lr: float
    image_size: int  # default side for folders (Fashion-MNIST is always 28)
    channels: int  # default channels for folders
    two_classes_only: bool = False  # a single sigmoid output


PRESETS: dict[str, Preset] = {
    "fmnist-cnn": Preset(fmnist_cnn, epochs=9, batch_size=128, lr=3e-3, image_size=28, channels=1),
    "small-cnn": Preset(small_cnn, epochs=10, batch_size=64, lr=1e-3, image_size=28, channels=1),
    "binary256": Preset(binary256, epochs=15, batch_size=32, lr=1e-3, image_size=256, channels=3,
                        two_classes_only=True),
}
MULTICLASS_PRESETS = tuple(name for name, preset in PRESETS.items() if not preset.two_classes_only)
MIN_SIDE = {"fmnist-cnn": 4, "small-cnn": 18, "binary256": 22}  # smallest input each model can take


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise UserError(f"--preset {name!r} is not a classifier preset; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]


def build_classifier(preset: str, channels: int, image_size: int, num_classes: int) -> nn.Module:
    """The preset's network for (channels, image_size) inputs and ``num_classes`` classes."""
    if num_classes < 2:
        raise UserError(f"a classifier needs at least 2 classes; the data has {num_classes}")
    if image_size < MIN_SIDE.get(preset, 1):
        raise UserError(f"preset {preset} needs images of at least {MIN_SIDE[preset]} px; got {image_size}")
    return get_preset(preset).build(channels, image_size, num_classes)


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy for (N, K) logits; binary cross-entropy (with the sigmoid inside) for one logit."""
    if logits.shape[1] == 1:
        return F.binary_cross_entropy_with_logits(logits[:, 0], labels.float())
    return F.cross_entropy(logits, labels)


def probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(N, K) class probabilities: softmax, or [1 - sigmoid, sigmoid] for a single logit."""
    if logits.shape[1] == 1:
        positive = torch.sigmoid(logits)
        return torch.cat([1 - positive, positive], dim=1)
    return logits.softmax(dim=1)
