"""A tiny trained run shared by the CLI tests: tiny Fashion-MNIST-shaped data and a random evaluator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from fashiongan import make_config, train
from tests.conftest import _write_idx
from tests.evaluation.helpers import save_random_evaluator, write_tiny_fmnist


@dataclass
class TinyRun:
    run_dir: Path
    data_dir: Path  # 60 train and 30 test 28x28 images in the Fashion-MNIST file layout
    evaluator: Path  # an untrained evaluator: evaluate runs in seconds


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    """One epoch of a small conditional DCGAN on tiny data (a few seconds on the CPU)."""
    folder = tmp_path_factory.mktemp("tiny-run")
    data_dir = write_tiny_fmnist(folder / "fmnist", _write_idx)
    config = make_config("fmnist", {
        "data.data_dir": str(data_dir), "model.g_channels": 16, "model.d_channels": 8, "model.z_dim": 8,
        "train.batch_size": 32, "train.epochs": 1,
    })  # fmt: skip
    train(config, folder / "run", progress_bar=False)
    return TinyRun(folder / "run", data_dir, save_random_evaluator(folder / "evaluator.safetensors"))
