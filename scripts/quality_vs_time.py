"""Quality against training time: train a preset for each budget, evaluate at N = 10,000, tabulate and plot.

    python scripts/quality_vs_time.py --preset fmnist-best --minutes 0.25,1,2,5,10 --out docs/quality/runs

Each budget is its own run (the lr schedule and EMA ramp follow the budget), trained from scratch with
`fashiongan train --minutes M` and measured with `fashiongan evaluate RUN --n 10000` (seed 0). Rows are
appended to OUT/quality.csv as each run finishes, so the script can be stopped and re-run.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

FIELDS = ("preset", "minutes", "epochs", "steps", "fid", "kid", "precision", "recall", "coverage", "class_accuracy",
          "copies")


def number(result: dict, key: str) -> float | None:
    value = result.get(key)
    if isinstance(value, dict):
        value = value.get("value")
    return None if value is None else round(float(value), 4)


def run_one(preset: str, minutes: float, out: Path, extra: list[str]) -> dict:
    run_dir = out / f"{preset}-{minutes:g}min"
    base = [sys.executable, "-m", "fashiongan"]
    subprocess.run([*base, "train", "--preset", preset, "--minutes", str(minutes), "--out", str(run_dir), "--resume",
                    "--no-progress", *extra], check=True)
    subprocess.run([*base, "evaluate", str(run_dir), "--n", "10000", "--json", str(run_dir / "eval.json"),
                    "--force"], check=True)
    result = json.loads((run_dir / "eval.json").read_text())
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    row = {"preset": preset, "minutes": minutes, "epochs": records[-1]["epoch"], "steps": records[-1]["step"]}
    row |= {key: number(result, key) for key in FIELDS[4:-1]}
    row["copies"] = ((result.get("memorisation") or {}).get("feature") or {}).get("share_below_holdout_p01")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="fmnist-best")
    parser.add_argument("--minutes", default="0.25,1,2,5,10")
    parser.add_argument("--out", type=Path, default=Path("docs/quality/runs"))
    parser.add_argument("extra", nargs="*", help="more train flags, after --")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    table = args.out / "quality.csv"
    done = set()
    if table.exists():
        with table.open() as f:
            done = {(r["preset"], float(r["minutes"])) for r in csv.DictReader(f)}
    for minutes in (float(m) for m in args.minutes.split(",")):
        if (args.preset, minutes) in done:
            continue
        row = run_one(args.preset, minutes, args.out, args.extra)
        new = not table.exists()
        with table.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)
        print(row, flush=True)


if __name__ == "__main__":
    main()
