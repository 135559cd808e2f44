"""Builders shared by the evaluation tests: a random-weights evaluator and a tiny structured Fashion-MNIST."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from fashiongan.data.fashion_mnist import CLASS_NAMES, locate_fashion_mnist
from fashiongan.errors import UserError
from fashiongan.evaluation.features import EvaluatorInfo, load_evaluator, save_evaluator
from fashiongan.evaluation.network import EvaluatorNet


def save_random_evaluator(
    path: Path, seed: int = 0, channels: int = 1, class_names: list[str] | tuple[str, ...] = CLASS_NAMES
) -> Path:
    """An untrained EvaluatorNet saved like a real one (weights + description with its sha256)."""
    torch.manual_seed(seed)
    info = EvaluatorInfo(
        sha256="", class_names=list(class_names), image_size=28, channels=channels, feature_dim=128,
        test_accuracy=0.1, command="tests", seed=seed,
    )  # fmt: skip
    save_evaluator(EvaluatorNet(channels, len(class_names)), info, path)
    return path


def class_images(labels: np.ndarray, seed: int) -> np.ndarray:
    """28x28 uint8 images whose class shows as a bright band at rows 2c..2c+5, over noise."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, (len(labels), 28, 28))
    for i, c in enumerate(labels):
        images[i, 2 * c : 2 * c + 6, 4:24] += 180
    return images.astype(np.uint8)


def write_tiny_fmnist(
    folder: Path, write_idx: Callable[..., Path], n_train: int = 60, n_test: int = 30
) -> Path:
    """A Fashion-MNIST-shaped folder with class-structured images (labels cycle 0..9)."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n, seed in (("train", n_train, 1), ("t10k", n_test, 2)):
        labels = np.arange(n) % 10
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", class_images(labels, seed))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


def shipped_evaluator_and_data():
    """The shipped evaluator and real Fashion-MNIST, or a clean skip where either is absent."""
    try:
        evaluator = load_evaluator()
    except UserError:
        pytest.skip("the shipped evaluator weights are not in this checkout")
    if locate_fashion_mnist() is None:
        pytest.skip("Fashion-MNIST files not found (apt-get install dataset-fashion-mnist)")
    return evaluator
