"""Merge a v1 study's cell files into results.csv, report.md (mean ± std over seeds) and accuracy_vs_n.png.

The GAN arm of each N is the ratio with the best mean validation accuracy (never the test split). It beats
classic augmentation "beyond the spread" when the gap of the means exceeds the sum of the two standard
deviations over seeds (their mean ± std bands do not overlap). The exchange rate is the number of real images
per class at which the interpolated curve of an arm without GAN images (in log N) reaches the GAN arm's accuracy.
"""

from __future__ import annotations

import math
import re
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from fashiongan.classify.study_report import saved_plan, write_csv
from fashiongan.errors import UserError
from fashiongan.io import atomic_write_text, read_json
from fashiongan.validation import Rule, check_object
from fashiongan.viz.figure import new_figure, save_figure

ALL = "all"


def load_cells(out: Path) -> list[dict[str, Any]]:
    paths = sorted((out / "cells").glob("*.json"))
    if not paths:
        raise UserError(f"{out} has no finished study cells (looked in {out / 'cells'})")
    return [check_cell(read_json(p, "study cell"), p) for p in paths]


CELL = {"per_class": Rule(int, optional=True, low=1), "seed": Rule(int, low=0), "real_images": Rule(int, low=1),
        "real_per_class": Rule(list, items=int, min_items=1), "arms": Rule(list, items=dict, min_items=1)}
ARM = {"arm": Rule(str), "test_accuracy": Rule(float, low=0, high=1), "val_accuracy": Rule(float, optional=True)}
ARM_NAME = re.compile(r"real|classic|classic\+gan@[0-9.]+(\+filter|\+trunc)?")


def check_cell(cell: Any, path: Path) -> dict[str, Any]:
    """A cell file as ``run_cell`` writes it: its counts and one entry per arm (a hand edit is one line)."""
    if isinstance(cell, dict) and cell.get("protocol", "v1") != "v1":
        raise UserError(f"{path} is a cell of protocol {cell['protocol']}, not v1")
    check_object(cell, CELL, path, required=tuple(CELL), what="a finished study cell")
    for i, arm in enumerate(cell["arms"]):
        check_object(arm, ARM, f"{path}: arms[{i}]", required=tuple(ARM))
        if not ARM_NAME.fullmatch(arm["arm"]):
            raise UserError(f"{path}: arms[{i}]: key 'arm' must be real, classic or classic+gan@RATIO; "
                            f"got {arm['arm']!r}")
    return cell


def rows(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (N, seed, arm)."""
    return [{"per_class": c["per_class"] if c["per_class"] is not None else ALL, "real_images": c["real_images"],
             "images_per_class": c["real_images"] / len(c["real_per_class"]), "seed": c["seed"], **arm}
            for c in cells for arm in c["arms"]]  # fmt: skip


def _stats(values: list[float]) -> tuple[float, float, int]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0, len(values)


def summarise(table: list[dict[str, Any]]) -> dict[Any, dict[str, dict[str, Any]]]:
    """{N: {arm: {mean, std, n, val_mean, per_class_images}}} with N sorted, "all" last."""
    groups: dict[Any, dict[str, list[dict[str, Any]]]] = {}
    for row in table:
        groups.setdefault(row["per_class"], {}).setdefault(row["arm"], []).append(row)
    summary: dict[Any, dict[str, dict[str, Any]]] = {}
    for n in sorted(groups, key=lambda k: math.inf if k == ALL else k):
        summary[n] = {}
        for arm, items in groups[n].items():
            mean, std, count = _stats([r["test_accuracy"] for r in items])
            val = [r["val_accuracy"] for r in items if r["val_accuracy"] is not None]
            summary[n][arm] = {"mean": mean, "std": std, "n": count, "val_mean": statistics.fmean(val) if val else None,
                               "images_per_class": statistics.fmean(r["images_per_class"] for r in items)}  # fmt: skip
    return summary


def best_gan_arm(arms: dict[str, dict[str, Any]]) -> str | None:
    """The GAN arm with the best mean validation accuracy (ties: plain arms, then the lower ratio, first)."""
    gan = [a for a in arms if a.startswith("classic+gan")]
    gan.sort(key=lambda a: ("+" in a.split("@")[1], float(a.split("@")[1].split("+")[0])))
    return max(gan, key=lambda a: arms[a]["val_mean"] or 0.0) if gan else None


def exchange_rate(summary: dict[Any, dict[str, dict[str, Any]]], curve_arm: str, accuracy: float) -> float | None:
    """Real images per class at which ``curve_arm`` reaches ``accuracy`` (linear in log N); None if off the curve."""
    points = sorted((arms[curve_arm]["images_per_class"], arms[curve_arm]["mean"]) for arms in summary.values()
                    if curve_arm in arms)  # fmt: skip
    for (n0, a0), (n1, a1) in zip(points, points[1:], strict=False):
        if min(a0, a1) <= accuracy <= max(a0, a1) and a0 != a1:
            t = (accuracy - a0) / (a1 - a0)
            return math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0)))
    return None


def verdict(gan: dict[str, Any], classic: dict[str, Any]) -> str:
    gap = gan["mean"] - classic["mean"]
    spread = gan["std"] + classic["std"]
    if gap > spread:
        return f"GAN beats classic beyond the spread (+{100 * gap:.2f} points > {100 * spread:.2f})"
    if gap < -spread:
        return f"GAN is worse than classic beyond the spread ({100 * gap:.2f} points, spread {100 * spread:.2f})"
    return f"no difference beyond the spread ({100 * gap:+.2f} points, spread {100 * spread:.2f})"


def _pct(stats: dict[str, Any]) -> str:
    return f"{100 * stats['mean']:.2f} ± {100 * stats['std']:.2f}"


def _worth(summary: dict[Any, Any], arm: str, accuracy: float, images_per_class: float) -> str:
    top = max(a[arm]["mean"] for a in summary.values() if arm in a)
    bottom = min(a[arm]["mean"] for a in summary.values() if arm in a)
    value = exchange_rate(summary, arm, accuracy)
    if value is not None:
        return f"{value:.0f}"
    return f"> {max(a[arm]['images_per_class'] for a in summary.values()):.0f}" if accuracy > top else (
        f"< {images_per_class:.0f}" if accuracy < bottom else "n/a")


def markdown(summary: dict[Any, dict[str, dict[str, Any]]], arm_names: list[str], plan: dict[str, Any]) -> str:
    """The report: table of mean ± std per N and arm, then per N the GAN arm's verdict and exchange rate."""
    lines = ["# Augmentation study: does a GAN trained on the same few images help the classifier?", "",
             f"Plan: {plan}", "", "Test accuracy (%) on the full official test split, mean ± std over seeds.", "",
             "| N per class | seeds | " + " | ".join(arm_names) + " |",
             "|---:|---:|" + "---:|" * len(arm_names)]  # fmt: skip
    for n, arms in summary.items():
        seeds = max(a["n"] for a in arms.values())
        lines.append(f"| {n} | {seeds} | " + " | ".join(_pct(arms[a]) if a in arms else "–" for a in arm_names) + " |")
    lines += ["", "GAN arm = the ratio with the best mean validation accuracy. \"Worth\": real images per class at "
              "which the real-only (or classic) curve, interpolated in log N, reaches the GAN arm's mean accuracy.", "",
              "| N per class | GAN arm | vs classic | worth (real-only curve) | worth (classic curve) |",
              "|---:|---|---|---:|---:|"]  # fmt: skip
    for n, arms in summary.items():
        gan = best_gan_arm(arms)
        if gan is None or "classic" not in arms:
            continue
        own = arms[gan]["images_per_class"]
        worth = [_worth(summary, curve, arms[gan]["mean"], own) if "real" in arms else "n/a"
                 for curve in ("real", "classic")]  # fmt: skip
        lines.append(f"| {n} | {gan} ({_pct(arms[gan])}) | {verdict(arms[gan], arms['classic'])} | "
                     f"{worth[0]} | {worth[1]} |")
    return "\n".join(lines) + "\n"


def plot(summary: dict[Any, dict[str, dict[str, Any]]], arm_names: list[str], path: Path) -> Path:
    fig, ax = new_figure(7, 4.5, dpi=110)
    for arm in arm_names:
        points = [(a[arm]["images_per_class"], a[arm]["mean"], a[arm]["std"]) for a in summary.values() if arm in a]
        if points:
            x, y, err = map(np.asarray, zip(*points, strict=True))
            ax.errorbar(x, 100 * y, yerr=100 * err, marker="o", markersize=3, capsize=3, label=arm)
    ax.set_xscale("log")
    ax.set(xlabel="real training images per class (log scale)", ylabel="test accuracy (%)",
           title="Test accuracy against N, mean ± std over seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def write_report(out: str | Path) -> list[Path]:
    """Build results.csv, report.md and accuracy_vs_n.png in ``out`` from its cell files."""
    out = Path(out)
    cells = load_cells(out)
    plan = saved_plan(out)
    table = rows(cells)
    arm_names = list(dict.fromkeys(r["arm"] for r in table))
    write_csv(out / "results.csv", table)
    summary = summarise(table)
    atomic_write_text(out / "report.md", markdown(summary, arm_names, plan))
    return [out / "results.csv", out / "report.md", plot(summary, arm_names, out / "accuracy_vs_n.png")]
