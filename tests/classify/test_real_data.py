"""Real Fashion-MNIST (slow; skipped where the files are absent): the default path and a tiny study cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.study_v1 import StudyPlan, run_study
from fashiongan.classify.study_v1_report import write_report
from fashiongan.classify.train import train_classifier
from fashiongan.data.fashion_mnist import locate_fashion_mnist

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(locate_fashion_mnist() is None, reason="Fashion-MNIST files not found"),
]


def test_small_cnn_on_100_images_per_class_beats_chance_by_far(tmp_path: Path):
    config = ClassifyConfig(preset="small-cnn", per_class=100, epochs=5, device="cpu")
    metrics = train_classifier(config, tmp_path / "run", progress_bar=False).metrics
    assert metrics["test_images"] == 10_000 and metrics["train_images"] == 1000 and metrics["val_images"] == 6000
    assert metrics["test_accuracy"] > 0.6


def test_one_tiny_v1_study_cell_on_real_data(tmp_path: Path):
    plan = StudyPlan(per_class=[10], seeds=[0], ratios=[1.0], gan_seconds=5.0, classifier_preset="small-cnn",
                     classifier_steps=20, device="cpu")  # fmt: skip
    (cell,) = run_study(plan, tmp_path)
    assert cell["real_images"] == 100 and [a["arm"] for a in cell["arms"]] == ["real", "classic", "classic+gan@1"]
    assert all(0.1 < a["test_accuracy"] <= 1 for a in cell["arms"])
    assert "| 10 | 1 |" in write_report(tmp_path)[1].read_text()
