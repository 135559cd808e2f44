"""The pseudo-label baseline: confident predictions become labels, capped per class, seeded."""

from __future__ import annotations

from pathlib import Path

import torch

from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.predict import load_classifier
from fashiongan.classify.study_pseudo import confident_labels, pseudo_pool
from fashiongan.classify.train import train_classifier
from fashiongan.data.splits import Splits
from tests.classify.conftest import banded


def test_confident_images_keep_the_predicted_class_at_most_per_class(tmp_path: Path):
    splits = Splits(banded(64, 4, 0), banded(16, 4, 1), banded(16, 4, 2), "official")
    config = ClassifyConfig(preset="small-cnn", epochs=4, batch_size=16, device="cpu")
    train_classifier(config, tmp_path / "labeller", splits=splits, progress_bar=False)
    candidates = banded(80, 4, 7)
    model, _, _ = load_classifier(tmp_path / "labeller")
    predicted, confidence = confident_labels(model, candidates.images, torch.device("cpu"))
    pool, record = pseudo_pool(tmp_path / "labeller", candidates, 0.5, 3, seed=0, device="cpu")
    sure = confidence >= 0.5
    assert record["confident"] == int(sure.sum()) and record["candidates"] == 80
    expected = [min(3, int((sure & (predicted == c)).sum())) for c in range(4)]
    assert record["kept_per_class"] == expected == torch.bincount(pool.labels, minlength=4).tolist()
    keys = {image.numpy().tobytes(): int(label) for image, label in zip(candidates.images, predicted, strict=True)}
    assert all(keys[image.numpy().tobytes()] == int(label) for image, label in zip(pool.images, pool.labels,
                                                                                     strict=True))
    again, _ = pseudo_pool(tmp_path / "labeller", candidates, 0.5, 3, seed=0, device="cpu")
    assert torch.equal(again.images, pool.images)  # seeded
    nothing, record = pseudo_pool(tmp_path / "labeller", candidates, 1.01, 3, seed=0, device="cpu")
    assert len(nothing) == 0 and record["label_accuracy"] is None
