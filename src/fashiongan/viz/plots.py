"""Training curves from metrics.jsonl records, drawn with matplotlib's Agg renderer (no screen needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fashiongan.viz.figure import new_figure, save_figure


def _series(records: Sequence[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    points = [(r["epoch"], r[key]) for r in records if r.get(key) is not None and "epoch" in r]
    return [p[0] for p in points], [p[1] for p in points]


def plot_curves(
    records: Sequence[dict[str, Any]],
    keys: dict[str, str],
    path: str | Path,
    title: str,
    ylabel: str,
    ylim: tuple[float, float] | None = None,
) -> Path | None:
    """Plot ``keys`` (record key → legend label) against epoch; None when no record has any key."""
    lines = {label: _series(records, key) for key, label in keys.items()}
    lines = {label: xy for label, xy in lines.items() if xy[0]}
    if not lines:
        return None
    fig, ax = new_figure(7, 4, dpi=110)
    for label, (x, y) in lines.items():
        ax.plot(x, y, marker="o" if len(x) < 30 else None, markersize=3, label=label)
    ax.set(title=title, xlabel="epoch", ylabel=ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def plot_training(records: Sequence[dict[str, Any]], run_dir: str | Path) -> list[Path]:
    """losses.png, accuracy.png, and where the run recorded them augment.png, holdout.png and fid.png."""
    run_dir = Path(run_dir)
    made = [
        plot_curves(records, {"d_loss": "discriminator", "g_loss": "generator"}, run_dir / "losses.png",
                    "Mean loss per epoch", "loss"),
        plot_curves(records, {"d_acc_real": "D accuracy on real", "d_acc_fake": "D accuracy on fake"},
                    run_dir / "accuracy.png", "Discriminator accuracy per epoch", "accuracy", (0.0, 1.05)),
        plot_curves(records, {"fid": "FID (evaluator features)"}, run_dir / "fid.png",
                    "FID during training (lower is better)", "FID"),
        plot_curves(records, {"augment_p": "augmentation probability p", "d_real_sign": "E[sign D(real)]"},
                    run_dir / "augment.png", "Adaptive augmentation", "value", (-1.05, 1.05))
        if any("augment_p" in r for r in records) else None,
        plot_curves(records, {"holdout_copies": "share of copies"}, run_dir / "holdout.png",
                    "Held-out checks (copies: about 0.01 when the generator does not copy)", "share", (0.0, 1.0)),
        plot_curves(records, {"holdout_kid": "held-out KID"}, run_dir / "holdout_kid.png",
                    "Held-out KID (checkpoints/best keeps the lowest)", "KID"),
    ]
    return [p for p in made if p is not None]
