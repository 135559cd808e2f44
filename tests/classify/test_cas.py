"""Classification Accuracy Score on a tiny conditional GAN run: both classifiers, the numbers, the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fashiongan
from fashiongan.classify.cas import classification_accuracy_score, format_cas
from fashiongan.errors import UserError
from tests.conftest import _write_idx
from tests.evaluation.helpers import write_tiny_fmnist

TINY_GAN = {"model.g_channels": 16, "model.d_channels": 8, "model.z_dim": 8, "train.batch_size": 16,
            "train.epochs": 1}  # fmt: skip


def tiny_run(tmp_path: Path, **changes) -> Path:
    data_dir = write_tiny_fmnist(tmp_path / "fmnist", _write_idx, n_train=100, n_test=30)
    config = fashiongan.make_config("fmnist", {**TINY_GAN, "data.data_dir": str(data_dir), **changes})
    fashiongan.train(config, tmp_path / "gan", progress_bar=False)
    return tmp_path / "gan"


def test_cas_trains_on_generated_images_and_beside_it_on_as_many_real_ones(tmp_path: Path):
    run_dir = tiny_run(tmp_path)
    result = classification_accuracy_score(run_dir, per_class=3, steps=2, preset="small-cnn", device="cpu")
    assert result["train_images"] == result["real_train_images"] == 30
    assert result["test_images"] == 30 and result["test_split"] == "official"
    assert 0 <= result["cas"] <= 1 and 0 <= result["real_accuracy"] <= 1
    assert result["gap"] == pytest.approx(result["real_accuracy"] - result["cas"], abs=1e-5)
    assert json.loads((run_dir / "cas.json").read_text()) == result
    assert "CAS (classifier trained on 30 generated images, tested on 30 real official test images)" in format_cas(
        result)


def test_cas_needs_a_conditional_run(tmp_path: Path):
    run_dir = tiny_run(tmp_path, **{"model.conditional": False})
    with pytest.raises(UserError, match="--cas needs a conditional GAN"):
        classification_accuracy_score(run_dir, per_class=2, steps=1, preset="small-cnn", device="cpu")
