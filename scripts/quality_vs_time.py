"""Quality against training time: train a preset for each budget, evaluate at N = 10,000, tabulate and plot.

    python scripts/quality_vs_time.py --preset fmnist-best --minutes 0.25,1,2,5,10 --out docs/quality/runs
    python scripts/quality_vs_time.py --preset fmnist --minutes 1,2,5,10,30,60 --one-run

Each budget is its own run by default (the lr schedule follows the budget), trained from scratch with
`fashiongan train --minutes M` and measured with `fashiongan evaluate RUN --n 10000` (seed 0).
With --one-run (presets with a constant lr only, such as `fmnist`), one run of the longest budget is
trained and each epoch's checkpoint is copied aside as it is written; each shorter budget is then
measured on the last epoch that ended within it. Nothing in such a run depends on the budget, so that
epoch is the one a run of the shorter budget would reach, less the partial epoch it would add at the end.
Rows are appended to OUT/quality.csv as they are measured, so the script can be stopped and re-run;
OUT/quality.png plots them against the real-data floor.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

FIELDS = ("preset", "minutes", "trained_min", "epochs", "steps", "fid", "kid", "precision", "recall", "coverage",
          "class_accuracy", "copies")
METRICS = FIELDS[5:-1]
BASE = [sys.executable, "-m", "fashiongan"]


def number(result: dict, key: str) -> float | None:
    value = result.get(key)
    if isinstance(value, dict):
        value = value.get("value")
    return None if value is None else round(float(value), 4)


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def evaluate(run_dir: Path, out: Path) -> dict:
    """Evaluate at N = 10,000; keep the floor's numbers once in OUT/floor.json for the plot."""
    subprocess.run([*BASE, "evaluate", str(run_dir), "--n", "10000", "--json", str(run_dir / "eval.json"),
                    "--force"], check=True)
    result = json.loads((run_dir / "eval.json").read_text())
    if not (out / "floor.json").exists():
        floor = result.get("floor") or {}
        (out / "floor.json").write_text(json.dumps({key: number(floor, key) for key in METRICS}, indent=1))
    row = {key: number(result, key) for key in METRICS}
    row["copies"] = ((result.get("memorisation") or {}).get("feature") or {}).get("share_below_holdout_p01")
    return row


def train(preset: str, minutes: float, run_dir: Path, extra: list[str]) -> subprocess.Popen:
    return subprocess.Popen([*BASE, "train", "--preset", preset, "--minutes", str(minutes), "--out", str(run_dir),
                             "--resume", "--no-progress", *extra])


def measure(preset: str, minutes: float, run_dir: Path, record: dict, out: Path) -> dict:
    """One table row: the budget, where training stood (``record`` from metrics.jsonl), the evaluation."""
    row = {"preset": preset, "minutes": minutes, "trained_min": round(record["elapsed_s"] / 60, 3),
           "epochs": record["epoch"], "steps": record["step"]}
    return row | evaluate(run_dir, out)


def run_one(preset: str, minutes: float, out: Path, extra: list[str]) -> dict:
    run_dir = out / f"{preset}-{minutes:g}min"
    if train(preset, minutes, run_dir, extra).wait() != 0:
        raise SystemExit(f"training {run_dir} failed")
    return measure(preset, minutes, run_dir, records(run_dir)[-1], out)


def copy_new_epoch(run_dir: Path, snapshots: Path, seen: set[int]) -> None:
    """Copy checkpoints/last aside when it holds an epoch not copied yet; a copy torn by a swap is retried."""
    last = run_dir / "checkpoints" / "last"
    try:
        epoch = json.loads((last / "state.json").read_text())["epoch"]
        if epoch in seen:
            return
        tmp = snapshots / f".epoch-{epoch}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(last, tmp)
        if json.loads((tmp / "state.json").read_text())["epoch"] == epoch:
            tmp.rename(snapshots / f"epoch-{epoch}")
            seen.add(epoch)
    except (OSError, ValueError, KeyError):
        pass


def one_run(preset: str, budgets: list[float], out: Path, extra: list[str]) -> list[dict]:
    """Train the longest budget once, keeping every epoch's checkpoint, and measure each budget on one."""
    run_dir = out / f"{preset}-{max(budgets):g}min"
    snapshots = out / f"{preset}-snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    seen = {int(p.name.split("-")[1]) for p in snapshots.glob("epoch-*")}
    process = train(preset, max(budgets), run_dir, extra)
    schedule_checked = False
    while process.poll() is None:
        config = run_dir / "config.json"
        if not schedule_checked and config.exists():
            schedule_checked = True
            if json.loads(config.read_text())["train"]["lr_schedule"] != "constant":
                process.terminate()
                raise SystemExit(f"--one-run needs a constant lr; preset {preset} decays it over the budget")
        copy_new_epoch(run_dir, snapshots, seen)
        time.sleep(1)
    if process.returncode != 0:
        raise SystemExit(f"training {run_dir} failed")
    rows = []
    history = records(run_dir)
    for minutes in sorted(budgets):
        if minutes == max(budgets):
            rows.append(measure(preset, minutes, run_dir, history[-1], out))
            continue
        within = [r for r in history if r["elapsed_s"] <= minutes * 60 and not r.get("partial_epoch")]
        if not within:
            print(f"no epoch ended within {minutes:g} min: train that budget on its own", file=sys.stderr)
            continue
        record = within[-1]
        budget_dir = out / f"{preset}-{minutes:g}min-of-one-run"
        shutil.rmtree(budget_dir, ignore_errors=True)
        (budget_dir / "checkpoints").mkdir(parents=True)
        shutil.copy2(run_dir / "config.json", budget_dir / "config.json")
        shutil.copytree(snapshots / f"epoch-{record['epoch']}", budget_dir / "checkpoints" / "last")
        rows.append(measure(preset, minutes, budget_dir, record, out))
    return rows


def append_row(table: Path, row: dict) -> None:
    new = not table.exists()
    with table.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)
    print(row, flush=True)


def plot(table: Path, path: Path) -> None:
    """FID and precision / recall / class accuracy against training minutes, one line per preset."""
    from fashiongan.viz.figure import new_figure, save_figure

    with table.open() as f:
        rows = list(csv.DictReader(f))
    floor_file = table.parent / "floor.json"
    floor = json.loads(floor_file.read_text()) if floor_file.exists() else {}
    fig, axes = new_figure(11, 4, dpi=110, ncols=2)
    panels = ((axes[0], ("fid",), "FID (lower is better)"),
              (axes[1], ("precision", "recall", "class_accuracy"), "higher is better"))
    styles = ("-", "--", "-.")  # one per preset; one colour per metric, its floor dotted in the same colour
    for ax, keys, ylabel in panels:
        for number_, preset in enumerate(dict.fromkeys(r["preset"] for r in rows)):
            mine = sorted((r for r in rows if r["preset"] == preset), key=lambda r: float(r["trained_min"]))
            for colour, key in enumerate(keys):
                ax.plot([float(r["trained_min"]) for r in mine], [float(r[key]) for r in mine], marker="o",
                        markersize=3, color=f"C{colour}", linestyle=styles[number_ % len(styles)],
                        label=f"{preset} {key.replace('_', ' ')}")
        for colour, key in enumerate(keys):
            if floor.get(key) is not None:
                ax.axhline(floor[key], linestyle=":", linewidth=1, color=f"C{colour}")
        ax.set_xscale("log")
        ax.set_xlabel("training minutes on this machine (log)")
        ax.set_ylabel(ylabel + "; dotted: real-data floor")
        ax.legend(fontsize=7)
    axes[0].set_yscale("log")
    save_figure(fig, path)
    print(f"Wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="fmnist-best")
    parser.add_argument("--minutes", default="0.25,1,2,5,10")
    parser.add_argument("--out", type=Path, default=Path("docs/quality/runs"))
    parser.add_argument("--one-run", action="store_true", help="one run of the longest budget (constant-lr presets)")
    parser.add_argument("--plot-only", action="store_true", help="only redraw OUT/quality.png from OUT/quality.csv")
    parser.add_argument("extra", nargs="*", help="more train flags, after --")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "quality.csv"
    done = set()
    if table.exists():
        with table.open() as f:
            done = {(r["preset"], float(r["minutes"])) for r in csv.DictReader(f)}
    budgets = [m for m in (float(m) for m in args.minutes.split(",")) if (args.preset, m) not in done]
    if budgets and not args.plot_only:
        if args.one_run:
            for row in one_run(args.preset, budgets, args.out, args.extra):
                append_row(table, row)
        else:
            for minutes in budgets:
                append_row(table, run_one(args.preset, minutes, args.out, args.extra))
    if table.exists():
        plot(table, args.out / "quality.png")


if __name__ == "__main__":
    main()
