"""A classifier run's pictures: confusion matrix and learning curves (PNG, written atomically)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fashiongan.viz.figure import new_figure, save_figure
from fashiongan.viz.plots import plot_curves


def plot_confusion_matrix(confusion: Sequence[Sequence[int]], names: list[str], path: str | Path, title: str) -> Path:
    """Row-normalised confusion matrix (true class by row), with each cell's share written in."""
    counts = np.asarray(confusion, dtype=np.float64)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = 3 + 0.45 * len(names)
    fig, ax = new_figure(side + 1, side, dpi=110)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), share in np.ndenumerate(shares):
        if share >= 0.005:
            ax.text(col, row, f"{share:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if share > 0.5 else "black")  # fmt: skip
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_classifier_curves(history: Sequence[dict[str, Any]], run_dir: Path) -> list[Path]:
    """loss.png and accuracy.png (train and validation per epoch)."""
    made = [
        plot_curves(history, {"train_loss": "train", "val_loss": "validation"}, run_dir / "loss.png",
                    "Classifier loss per epoch", "loss"),
        plot_curves(history, {"train_accuracy": "train", "val_accuracy": "validation"}, run_dir / "accuracy.png",
                    "Classifier accuracy per epoch", "accuracy"),
    ]
    return [p for p in made if p is not None]
