"""Merge a v2 study's cell files into results.csv, report.md and accuracy_vs_n.png.

Per N, the baseline is the non-GAN arm (real, classic, strong) with the best mean *validation* accuracy
over seeds; every other arm is compared with it seed by seed (study_stats: paired t interval, verdict from
the interval). Each X + GAN arm is also compared with X alone ("matched"): what the GAN images add to the same
augmentation, apart from which augmentation validation preferred. Each GAN arm's row per cell is its ratio
chosen on that cell's validation split.
study_tables.py writes the markdown.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from fashiongan.classify.study_arms import ARM_ORDER, BEST_GAN, NON_GAN, PSEUDO, TRANSFER
from fashiongan.classify.study_plan import FULL_PER_CLASS, PROTOCOL
from fashiongan.classify.study_stats import PairedInterval, mean_interval, paired_interval
from fashiongan.classify.study_tables import markdown
from fashiongan.errors import UserError
from fashiongan.io import atomic_write_text, read_json
from fashiongan.validation import Rule, check_object
from fashiongan.viz.figure import new_figure, save_figure

ALL = "all"
CELL = {"protocol": Rule(str, choices=(PROTOCOL,)), "per_class": Rule(int, optional=True, low=1),
        "seed": Rule(int, low=0), "real_images": Rule(int, low=1), "gan": Rule(dict),
        "arms": Rule(list, items=dict, min_items=1)}
ARM = {"arm": Rule(str, choices=tuple(ARM_ORDER)), "test_accuracy": Rule(float, low=0, high=1),
       "val_accuracy": Rule(float, low=0, high=1), "ratio": Rule(float, optional=True), "chosen": Rule(bool)}


def check_cell(cell: Any, path: Path) -> dict[str, Any]:
    """A cell file as ``run_cell`` writes it (a hand edit or another protocol's cell is one line)."""
    if isinstance(cell, dict) and cell.get("protocol", "v1") != PROTOCOL:
        raise UserError(f"{path} is a cell of protocol {cell.get('protocol', 'v1')}, not {PROTOCOL}")
    check_object(cell, CELL, path, required=tuple(CELL), what="a finished v2 study cell")
    for i, arm in enumerate(cell["arms"]):
        check_object(arm, ARM, f"{path}: arms[{i}]", required=tuple(ARM))
    return cell


def load_cells(out: Path) -> list[dict[str, Any]]:
    paths = sorted((out / "cells").glob("*.json"))
    if not paths:
        raise UserError(f"{out} has no finished study cells (looked in {out / 'cells'})")
    return [check_cell(read_json(p, "study cell"), p) for p in paths]


def n_key(cell: dict[str, Any]) -> Any:
    return ALL if cell["per_class"] is None else cell["per_class"]


def chosen_rows(cell: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The cell's row of each arm (its ratio chosen on validation), with ``best+gan`` derived where the cell
    trained every augmentation + GAN: the one on top of the cell's best non-GAN arm on validation."""
    rows = {row["arm"]: row for row in cell["arms"] if row["chosen"]}
    base = [rows[a] for a in NON_GAN if a in rows]
    if BEST_GAN not in rows and base:
        best = max(base, key=lambda row: row["val_accuracy"])["arm"]
        if f"{best}+gan" in rows:
            rows[BEST_GAN] = rows[f"{best}+gan"]
    return rows


def by_n(cells: list[dict[str, Any]]) -> dict[Any, dict[str, dict[int, dict[str, Any]]]]:
    """{N: {arm: {seed: the arm's chosen row}}}, N sorted with "all" last."""
    table: dict[Any, dict[str, dict[int, dict[str, Any]]]] = {}
    for cell in sorted(cells, key=lambda c: (math.inf if c["per_class"] is None else c["per_class"], c["seed"])):
        arms = table.setdefault(n_key(cell), {})
        for name, row in chosen_rows(cell).items():
            arms.setdefault(name, {})[cell["seed"]] = row
    return table


def baseline(arms: dict[str, dict[int, dict[str, Any]]]) -> str | None:
    """The non-GAN arm with the best mean validation accuracy over seeds (never the test split)."""
    present = [a for a in NON_GAN if a in arms]
    if not present:
        return None
    return max(present, key=lambda a: float(np.mean([r["val_accuracy"] for r in arms[a].values()])))


def compare(arm: dict[int, dict[str, Any]], base: dict[int, dict[str, Any]]) -> PairedInterval:
    """Paired test-accuracy differences ``arm - base`` over the seeds both have."""
    seeds = sorted(set(arm) & set(base))
    if not seeds:
        raise UserError("two arms of one N share no seed; the cells are incomplete")
    return paired_interval([arm[s]["test_accuracy"] for s in seeds], [base[s]["test_accuracy"] for s in seeds])


def summarise(cells: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Per N: each arm's mean and interval, the baseline, and every arm's paired comparison with it."""
    summary: dict[Any, dict[str, Any]] = {}
    for n, arms in by_n(cells).items():
        base = baseline(arms)
        stats = {a: mean_interval([r["test_accuracy"] for r in arms[a].values()]) for a in ARM_ORDER if a in arms}
        versus = {a: compare(arms[a], arms[base]) for a in ARM_ORDER if a in arms and base and a != base}
        if TRANSFER in arms and PSEUDO in arms:
            versus["transfer-vs-pseudo"] = compare(arms[TRANSFER], arms[PSEUDO])
        matched = {f"{a}+gan": compare(arms[f"{a}+gan"], arms[a]) for a in NON_GAN if a in arms and f"{a}+gan" in arms}
        summary[n] = {"arms": stats, "baseline": base, "versus": versus, "matched": matched,
                      "seeds": max(len(v) for v in arms.values()), "per_class": FULL_PER_CLASS if n == ALL else n}
    return summary


GAN_COLUMNS = ("recall", "precision", "fid", "class_accuracy", "copies", "checkpoint_step")


def csv_rows(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (N, seed, arm, ratio), with the numbers of the GAN that arm drew from."""
    out = []
    for cell in cells:
        for row in cell["arms"]:
            gan = {"gan": cell.get("gan"), "transfer": cell.get("transfer_gan")}.get(row.get("pool") or "")
            out.append({"per_class": n_key(cell), "seed": cell["seed"], "real_images": cell["real_images"],
                        "passes": (cell.get("recipe") or {}).get("passes"), **row,
                        **{f"gan_{k}": (gan or {}).get(k) for k in GAN_COLUMNS}})  # fmt: skip
    return out


def plot(summary: dict[Any, dict[str, Any]], path: Path) -> Path:
    """Test accuracy against N (log scale), each arm's mean with its 95 % interval."""
    fig, ax = new_figure(7.5, 4.8, dpi=110)
    for arm in ARM_ORDER:
        points = [(s["per_class"], s["arms"][arm][0], s["arms"][arm][1] or 0.0) for s in summary.values()
                  if arm in s["arms"]]
        if points:
            x, y, half = (np.asarray(v, dtype=float) for v in zip(*points, strict=True))
            ax.errorbar(x, 100 * y, yerr=100 * half, marker="o", markersize=3, capsize=3, label=arm)
    ax.set_xscale("log")
    ax.set(xlabel=f"N: labelled images per class (log scale; all = {FULL_PER_CLASS:,})", ylabel="test accuracy (%)",
           title="Test accuracy against N: mean and 95 % interval over seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return save_figure(fig, path)


def saved_plan(out: Path) -> dict[str, Any]:
    """The plan a study folder's study.json holds (checked), or {} when there is none."""
    saved = read_json(out / "study.json", "study plan") if (out / "study.json").is_file() else {}
    return check_object(saved, {"plan": Rule(dict)}, out / "study.json").get("plan", {})


def write_csv(path: Path, table: list[dict[str, Any]]) -> None:
    """Rows to a CSV (atomically); the columns are every key, in first-seen order."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(key for row in table for key in row)))
    writer.writeheader()
    writer.writerows(table)
    atomic_write_text(path, buffer.getvalue())


def write_report(out: str | Path) -> list[Path]:
    """Build results.csv, report.md and accuracy_vs_n.png in ``out`` from its v2 cell files."""
    out = Path(out)
    cells = load_cells(out)
    plan = saved_plan(out)
    write_csv(out / "results.csv", csv_rows(cells))
    summary = summarise(cells)
    source = out / "work" / "transfer-source" / "study_source.json"
    source_record = read_json(source, "transfer source record") if source.is_file() else None
    atomic_write_text(out / "report.md", markdown(summary, cells, plan, source_record))
    return [out / "results.csv", out / "report.md", plot(summary, out / "accuracy_vs_n.png")]
