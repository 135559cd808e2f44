"""A classifier run's learning curves (PNG, written atomically); its confusion matrix is viz/confusion.py's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fashiongan.viz.plots import plot_curves


def plot_classifier_curves(history: Sequence[dict[str, Any]], run_dir: Path) -> list[Path]:
    """loss.png and accuracy.png (train and validation per epoch)."""
    made = [
        plot_curves(history, {"train_loss": "train", "val_loss": "validation"}, run_dir / "loss.png",
                    "Classifier loss per epoch", "loss"),
        plot_curves(history, {"train_accuracy": "train", "val_accuracy": "validation"}, run_dir / "accuracy.png",
                    "Classifier accuracy per epoch", "accuracy"),
    ]
    return [p for p in made if p is not None]
