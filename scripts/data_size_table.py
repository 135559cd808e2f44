"""Quality against data size: tabulate and plot evaluated runs by images per class and recipe.

    python scripts/data_size_table.py runs/pc10-old runs/pc10-ada runs/pc50-old ... --out docs/fewshot
    python scripts/data_size_table.py runs/pc500-old runs/pc500-ada --keep docs/fewshot/data_size.csv --out docs/fewshot

Each RUN must hold `config.json` and `eval.json` (`fashiongan evaluate RUN`). Its images per class come from
`data.per_class` (empty: all), its recipe from `train.augment` (`ada`: new, anything else: old). Writes
OUT/data_size.csv, OUT/data_size.png (recall, FID, class accuracy and copies against N, one line per
recipe, the real-data floor dashed) and prints the markdown table docs/fewshot.md carries. `--keep CSV` adds
the rows of an earlier data_size.csv whose runs are not given again, so a table can grow run by run after the
earlier run folders are gone (their floor is the one the given runs were evaluated against).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

FIELDS = ("per_class", "recipe", "run", "step", "fid", "kid", "precision", "recall", "coverage", "class_accuracy",
          "copies_pixel", "copies_feature")
PANELS = (("recall", "recall ↑"), ("fid", "FID ↓"), ("class_accuracy", "class accuracy ↑"),
          ("copies_pixel", "copies (pixel) ↓"))
ALL = 6000  # where "all" sits on the log axis (Fashion-MNIST's images per class)


def row(run_dir: Path) -> dict:
    config = json.loads((run_dir / "config.json").read_text())
    result = json.loads((run_dir / "eval.json").read_text())
    memorisation = result.get("memorisation") or {}
    return {
        "per_class": config["data"].get("per_class") or "all",
        "recipe": "new (ada)" if config["train"].get("augment") == "ada" else "old",
        "run": run_dir.name,
        "step": result["protocol"]["generator"]["step"],
        **{key: round(float(result[key]), 4) for key in FIELDS[4:10]},
        "copies_pixel": memorisation.get("pixel", {}).get("share_below_holdout_p01"),
        "copies_feature": memorisation.get("feature", {}).get("share_below_holdout_p01"),
        "floor": result.get("floor") or {},
        "floor_copies": 0.01,
    }


def kept_rows(path: Path, given: set[str]) -> list[dict]:
    """Rows of an earlier data_size.csv, numbers as floats, minus the runs given again."""
    with open(path, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["run"] not in given]
    for r in rows:
        r["per_class"] = r["per_class"] if r["per_class"] == "all" else int(r["per_class"])
        r["step"] = int(r["step"])
        r.update({key: float(r[key]) for key in FIELDS[4:]})
        r["floor"] = {}
    return rows


def floor_of(rows: list[dict]) -> dict:
    return next((r["floor"] for r in rows if r["floor"]), {})


def sort_key(r: dict) -> tuple:
    return (ALL if r["per_class"] == "all" else r["per_class"], r["recipe"] != "old")


def markdown(rows: list[dict]) -> str:
    lines = ["| per class | recipe | FID ↓ | KID ×10³ ↓ | precision ↑ | recall ↑ | coverage ↑ | class accuracy ↑ "
             "| copies pixel / feature ↓ | run |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['per_class']} | {r['recipe']} | {r['fid']:.1f} | {r['kid']:.2f} | {r['precision']:.3f} "
                     f"| {r['recall']:.3f} | {r['coverage']:.3f} | {r['class_accuracy']:.3f} "
                     f"| {r['copies_pixel']:.3f} / {r['copies_feature']:.3f} | `{r['run']}` |")
    floor = floor_of(rows)
    if floor:
        lines.append(f"| floor | 10,000 real training images | {floor['fid']:.2f} | {floor['kid']:.2f} "
                     f"| {floor['precision']:.3f} | {floor['recall']:.3f} | {floor['coverage']:.3f} "
                     f"| {floor['class_accuracy']:.3f} | 0.010 | |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(4 * len(PANELS), 3.4))
    for ax, (key, title) in zip(axes, PANELS, strict=True):
        for recipe in sorted({r["recipe"] for r in rows}):
            mine = [r for r in rows if r["recipe"] == recipe]
            xs = [ALL if r["per_class"] == "all" else r["per_class"] for r in mine]
            ax.plot(xs, [r[key] for r in mine], marker="o", label=recipe)
        floor = 0.01 if key == "copies_pixel" else floor_of(rows).get(key)
        if floor is not None:
            ax.axhline(floor, color="grey", linestyle="--", linewidth=1, label="real-data floor")
        ax.set_xscale("log")
        ax.set_xlabel("training images per class")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="evaluated run folders")
    parser.add_argument("--out", type=Path, required=True, help="folder for data_size.csv and data_size.png")
    parser.add_argument("--keep", type=Path, help="an earlier data_size.csv whose other rows stay in the table")
    args = parser.parse_args()
    missing = [str(run / name) for run in args.runs for name in ("config.json", "eval.json")
               if not (run / name).is_file()]
    if missing:
        raise SystemExit(f"data_size_table: not an evaluated run (run `fashiongan evaluate RUN`): {missing[0]}")
    rows = [row(run) for run in args.runs]
    if args.keep:
        rows += kept_rows(args.keep, {r["run"] for r in rows})
    rows = sorted(rows, key=sort_key)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "data_size.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, args.out / "data_size.png")
    print(markdown(rows))


if __name__ == "__main__":
    main()
