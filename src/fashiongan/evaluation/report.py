"""The human side of an evaluation: the table the CLI prints, and report.md with its PNGs.

The report folder gets: ``samples_per_class.png`` (one row per class), ``confusion_matrix.png``
(conditional models), ``predicted_classes.png``, ``nearest_neighbours.png`` (generated image
above its nearest training image, closest pairs first), ``memorisation_distances.png`` and
``report.md`` tying them together. Figures are drawn with matplotlib's Agg backend and every file
is written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from fashiongan.evaluation.result import Evaluation
from fashiongan.io import atomic_write_text
from fashiongan.text import printable

SAMPLES_PER_CLASS = 10
DOCS_HINT = "docs/evaluation.md explains each number"

# (label, result key, which direction is better, multiplier for display)
ROWS = (
    ("FID", "fid", "lower", 1.0),
    ("KID", "kid", "lower", 1.0),  # on this feature scale KID is not tiny, unlike Inception KID
    ("precision", "precision", "higher", 1.0),
    ("recall", "recall", "higher", 1.0),
    ("density", "density", "~floor", 1.0),
    ("coverage", "coverage", "higher", 1.0),
    ("IS (evaluator)", "inception_score", "higher", 1.0),
    ("class accuracy", "class_accuracy", "higher", 1.0),
    ("class balance", "predicted_class_balance", "higher", 1.0),
)


def _fmt(value: Any, scale: float = 1.0) -> str:
    if value is None:
        return "-"
    value = float(value) * scale + 0.0  # + 0.0 turns -0.0 into 0.0
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.1e}"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"


def table_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, value, floor, better) as strings; the memorisation shares use the held-out images as floor."""
    floor = result.get("floor") or {}
    rows = [
        (label, _fmt(result.get(key), s), _fmt(floor.get(key), s), better) for label, key, better, s in ROWS
    ]
    for space in ("pixel", "feature"):
        mem = (result.get("memorisation") or {}).get(space)
        if mem:
            # the held-out images fall below their own 1st percentile 1% of the time by construction
            rows.append((f"copies ({space})", _fmt(mem["share_below_holdout_p01"]), _fmt(0.01), "lower"))
    inception = result.get("inception") or {}
    for label, key, scale in (("Inception FID", "fid", 1.0), ("Inception KID x 1e3", "kid", 1e3)):
        if key in inception:
            rows.append((label, _fmt(inception[key], scale), "-", "lower"))
    return rows


def protocol_line(result: dict[str, Any]) -> str:
    p = result["protocol"]
    ref, floor = p["reference"], p.get("floor")
    line = f"N={p['n']} generated vs {printable(p['data'])} {ref['split']} split ({ref['size']} images)"
    if floor:
        line += f"; floor: {floor['n']} real {floor['split']} images"
        if floor["overlaps_reference"]:
            line += " (drawn from the reference itself: optimistic)"
    line += f"; evaluator {p['evaluator']['sha256'][:12]}"
    generator = p.get("generator") or {}
    if generator.get("checkpoint") == "best":  # a chosen checkpoint says how it was chosen, beside its numbers
        line += f"; checkpoint best (step {generator.get('step')}: {generator.get('chosen_by', 'chosen in training')})"
    return line


def format_table(result: dict[str, Any]) -> str:
    """A compact plain-text table: metric, value, floor (real data), which direction is better."""
    header = ("metric", "value", "floor", "better")
    rows = [header, *table_rows(result)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [protocol_line(result)]
    for row in rows:
        lines.append(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}")
    note = (result.get("inception") or {}).get("error")
    if note:
        lines.append(f"Inception FID/KID skipped: {note}")
    return "\n".join(lines)


def _save_figure(fig: Any, path: Path) -> None:
    from fashiongan.viz.figure import save_figure

    save_figure(fig, path, dpi=100, bbox_inches="tight")


def _figure(width: float, height: float, **kwargs: Any) -> tuple[Any, Any]:
    from fashiongan.viz.figure import new_figure

    return new_figure(width, height, **kwargs)


def _show(ax: Any, image: torch.Tensor) -> None:
    """Draw one uint8 (C, H, W) image on ``ax`` without axes."""
    array = image.permute(1, 2, 0).numpy()
    ax.imshow(array[..., 0] if array.shape[2] == 1 else array, cmap="gray", vmin=0, vmax=255)
    ax.set_xticks([])
    ax.set_yticks([])


def _class_rows(images: torch.Tensor, groups: np.ndarray, num_classes: int) -> torch.Tensor:
    """SAMPLES_PER_CLASS images per class, one row each; white where a class has too few."""
    blank = torch.full_like(images[0], 255)
    cells = []
    for c in range(num_classes):
        members = np.flatnonzero(groups == c)[:SAMPLES_PER_CLASS]
        cells += [images[i] for i in members] + [blank] * (SAMPLES_PER_CLASS - len(members))
    return torch.stack(cells)


def plot_samples_per_class(evaluation: Evaluation, path: Path) -> None:
    from fashiongan.viz.grids import make_grid

    names = evaluation.class_names
    conditional = evaluation.labels is not None
    groups = evaluation.labels.numpy() if conditional else evaluation.predicted
    if not conditional:
        names = evaluation.evaluator_class_names
    grid = make_grid(_class_rows(evaluation.images, groups, len(names)), nrow=SAMPLES_PER_CLASS)
    cell = grid.shape[0] / len(names)
    fig, ax = _figure(8, 8 * grid.shape[0] / grid.shape[1] + 0.5)
    ax.imshow(grid, cmap="gray", vmin=0, vmax=255)
    ax.set_yticks([cell * (i + 0.5) for i in range(len(names))], names)
    ax.set_xticks([])
    ax.set_title(
        "samples by requested class" if conditional else "samples by the evaluator's predicted class"
    )
    _save_figure(fig, path)


def plot_confusion(result: dict[str, Any], names: list[str], path: Path) -> None:
    from fashiongan.viz.confusion import plot_confusion_matrix

    plot_confusion_matrix(result["confusion_matrix"], names, path,
                          f"confusion matrix (class accuracy {result['class_accuracy']:.3f})",
                          xlabel="predicted class (evaluator)", ylabel="requested class", size=(7, 6))


def plot_predicted_histogram(result: dict[str, Any], names: list[str], path: Path) -> None:
    fig, ax = _figure(8, 4)
    positions = np.arange(len(names))
    generated = np.asarray(result["predicted_class_histogram"], dtype=np.float64)
    ax.bar(positions - 0.2, generated / generated.sum(), width=0.4, label="generated")
    floor = (result.get("floor") or {}).get("predicted_class_histogram")
    if floor:
        floor = np.asarray(floor, dtype=np.float64)
        ax.bar(positions + 0.2, floor / floor.sum(), width=0.4, label="real (floor)")
    ax.set_xticks(positions, names, rotation=45, ha="right")
    ax.set_ylabel("share of images")
    ax.set_title("predicted-class histogram (missing or tall bars: mode collapse)")
    ax.legend()
    _save_figure(fig, path)


def plot_nearest(evaluation: Evaluation, pairs: list[dict[str, Any]], path: Path) -> None:
    columns = len(pairs)
    fig, axes = _figure(1.0 * columns + 0.5, 2.6, nrows=2, ncols=columns, squeeze=False)
    for j, pair in enumerate(pairs):
        _show(axes[0][j], evaluation.images[pair["generated_index"]])
        _show(axes[1][j], evaluation.train_images[pair["train_index"]])
        axes[0][j].set_title(f"{pair['distance']:.2f}", fontsize=8)
    axes[0][0].set_ylabel("generated")
    axes[1][0].set_ylabel("nearest train")
    fig.suptitle("closest generated / training pairs (pixel L2 on [0, 1])", fontsize=10)
    _save_figure(fig, path)


def plot_distances(evaluation: Evaluation, path: Path) -> None:
    fig, axes = _figure(10, 3.5, ncols=2)
    for ax, (space, nearest) in zip(axes, evaluation.nearest.items(), strict=True):
        both = np.concatenate([nearest.generated_distances, nearest.holdout_distances])
        bins = np.linspace(0, both.max() * 1.02 + 1e-12, 50)
        ax.hist(nearest.holdout_distances, bins=bins, alpha=0.6, label="real test to train", density=True)
        ax.hist(nearest.generated_distances, bins=bins, alpha=0.6, label="generated to train", density=True)
        ax.axvline(
            np.quantile(nearest.holdout_distances, 0.01), color="k", linestyle=":", label="test 1st pct."
        )
        ax.set_title(f"distance to the nearest training image ({space})")
        ax.set_xlabel("Euclidean distance")
        ax.legend(fontsize=8)
    _save_figure(fig, path)


def _markdown_table(result: dict[str, Any]) -> str:
    lines = ["| metric | value | floor | better |", "|---|---:|---:|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in table_rows(result)]
    return "\n".join(lines)


def _markdown(result: dict[str, Any], figures: list[tuple[str, str]]) -> str:
    parts = ["# Evaluation report", "", protocol_line(result), "", _markdown_table(result), ""]
    note = (result.get("inception") or {}).get("error")
    if note:
        parts += [f"Inception FID/KID skipped: {note}", ""]
    mem = result.get("memorisation")
    if mem:
        parts += [
            "## Memorisation",
            "",
            "| space | generated min | p01 | median | test-to-train p01 | median |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for space in ("pixel", "feature"):
            g, h = mem[space]["generated"], mem[space]["holdout"]
            cells = [g["min"], g["p01"], g["median"], h["p01"], h["median"]]
            parts.append(f"| {space} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
        parts.append("")
    for title, name in figures:
        parts += [f"## {title}", "", f"![{title}]({name})", ""]
    parts += [f"All numbers are in eval.json; {DOCS_HINT}.", ""]
    return "\n".join(parts)


def write_report(evaluation: Evaluation, report_dir: str | Path) -> Path:
    """Write report.md and its PNGs into ``report_dir``; returns the path of report.md."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    result, names = evaluation.result, evaluation.evaluator_class_names
    figures = [("Samples per class", "samples_per_class.png")]
    plot_samples_per_class(evaluation, report_dir / figures[-1][1])
    if result.get("confusion_matrix") is not None:
        figures.append(("Confusion matrix", "confusion_matrix.png"))
        plot_confusion(result, names, report_dir / figures[-1][1])
    figures.append(("Predicted classes", "predicted_classes.png"))
    plot_predicted_histogram(result, names, report_dir / figures[-1][1])
    if evaluation.nearest:
        figures.append(("Nearest training images", "nearest_neighbours.png"))
        plot_nearest(evaluation, result["memorisation"]["closest_pairs"], report_dir / figures[-1][1])
        figures.append(("Distances to the training set", "memorisation_distances.png"))
        plot_distances(evaluation, report_dir / figures[-1][1])
    path = report_dir / "report.md"
    atomic_write_text(path, _markdown(result, figures))
    return path
