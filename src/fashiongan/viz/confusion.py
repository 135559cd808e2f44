"""The one confusion-matrix picture: a classifier's test split (classify) and a generator's requested classes
against the evaluator's predictions (the evaluation report) both draw it here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fashiongan.viz.figure import new_figure, save_figure


def plot_confusion_matrix(confusion: Sequence[Sequence[int]] | np.ndarray, names: list[str], path: str | Path,
                          title: str, xlabel: str = "predicted class", ylabel: str = "true class",
                          size: tuple[float, float] | None = None) -> Path:
    """Row-normalised confusion matrix (counts: row = true or requested class), each cell's share written in.

    ``size`` is the figure's (width, height) in inches; the default grows with the number of classes.
    """
    counts = np.asarray(confusion, dtype=np.float64)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = 3 + 0.45 * len(names)
    fig, ax = new_figure(*(size or (side + 1, side)), dpi=110)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), share in np.ndenumerate(shares):
        if share >= 0.005:
            ax.text(col, row, f"{share:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if share > 0.5 else "black")  # fmt: skip
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return save_figure(fig, path)
