"""Classifier presets: the seeds' two models layer by layer, and every preset builds and runs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from fashiongan.classify.model import build_classifier, classification_loss, probabilities
from fashiongan.errors import UserError


def layer_summary(model: nn.Module) -> list[tuple]:
    """(type, key numbers) per layer: channels and kernel for convs, features for dense layers."""
    rows = []
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            rows.append(("conv", layer.in_channels, layer.out_channels, layer.kernel_size, layer.padding))
        elif isinstance(layer, nn.Linear):
            rows.append(("dense", layer.in_features, layer.out_features))
        else:
            rows.append((type(layer).__name__,))
    return rows


def test_small_cnn_is_the_seeds_three_conv_model():
    model = build_classifier("small-cnn", 1, 28, 10)
    assert layer_summary(model) == [
        ("conv", 1, 32, (3, 3), (0, 0)), ("ReLU",), ("MaxPool2d",),
        ("conv", 32, 64, (3, 3), (0, 0)), ("ReLU",), ("MaxPool2d",),
        ("conv", 64, 64, (3, 3), (0, 0)), ("ReLU",),
        ("Flatten",), ("dense", 576, 64), ("ReLU",), ("dense", 64, 10),
    ]  # fmt: skip
    assert sum(p.numel() for p in model.parameters()) == 93_322  # the seeds' Keras summary total


def test_binary256_is_the_seeds_folder_classifier_with_one_sigmoid_output():
    model = build_classifier("binary256", 3, 256, 2)
    assert layer_summary(model) == [
        ("conv", 3, 16, (3, 3), (0, 0)), ("ReLU",), ("MaxPool2d",),
        ("conv", 16, 32, (3, 3), (0, 0)), ("ReLU",), ("MaxPool2d",),
        ("conv", 32, 16, (3, 3), (0, 0)), ("ReLU",), ("MaxPool2d",),
        ("Flatten",), ("dense", 16 * 30 * 30, 256), ("ReLU",), ("dense", 256, 1),
    ]  # fmt: skip
    logits = model(torch.zeros(2, 3, 256, 256))
    assert logits.shape == (2, 1)
    probs = probabilities(logits)
    assert probs.shape == (2, 2) and torch.allclose(probs.sum(1), torch.ones(2))
    # BCE-with-logits on the single logit equals sigmoid followed by BCE
    labels = torch.tensor([0, 1])
    expected = nn.functional.binary_cross_entropy(torch.sigmoid(logits[:, 0]), labels.float())
    assert torch.allclose(classification_loss(logits, labels), expected, atol=1e-6)


@pytest.mark.parametrize("preset,channels,size,classes", [
    ("fmnist-cnn", 1, 28, 10), ("fmnist-cnn", 3, 64, 2), ("small-cnn", 3, 32, 5), ("binary256", 1, 32, 2),
])  # fmt: skip
def test_every_preset_builds_and_gives_finite_logits(preset, channels, size, classes):
    model = build_classifier(preset, channels, size, classes).eval()
    logits = model(torch.randn(3, channels, size, size))
    assert logits.shape == (3, 1 if preset == "binary256" else classes)
    assert torch.isfinite(logits).all()


def test_bad_presets_and_shapes_are_user_errors():
    with pytest.raises(UserError, match="binary256 is a two-class classifier; the data has 10 classes"):
        build_classifier("binary256", 3, 256, 10)
    with pytest.raises(UserError, match="'resnet' is not a classifier preset; choose one of: fmnist-cnn"):
        build_classifier("resnet", 1, 28, 10)
    with pytest.raises(UserError, match="needs images of at least 18 px"):
        build_classifier("small-cnn", 1, 8, 10)
    with pytest.raises(UserError, match="at least 2 classes"):
        build_classifier("fmnist-cnn", 1, 28, 1)
