"""The study report from hand-made cell files: mean ± std, the verdict and the exchange rate."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fashiongan.classify.study_v1_report import exchange_rate, rows, summarise, verdict, write_report
from fashiongan.errors import UserError
from fashiongan.io import write_json


def cell(n: int, seed: int, real: float, classic: float, gan: float) -> dict:
    arms = [("real", real), ("classic", classic), ("classic+gan@1", gan)]
    return {"cell": f"n{n}-s{seed}", "per_class": n, "seed": seed, "real_images": 10 * n, "real_per_class": [n] * 10,
            "arms": [{"arm": a, "augment": "none", "ratio": None, "test_accuracy": acc, "val_accuracy": acc,
                      "train_seconds": 1.0} for a, acc in arms]}  # fmt: skip


def write_cells(out: Path) -> None:
    for seed, jitter in ((0, -0.01), (1, 0.01)):
        write_json(out / "cells" / f"n10-s{seed}.json", cell(10, seed, 0.70 + jitter, 0.72 + jitter, 0.76 + jitter))
        write_json(out / "cells" / f"n100-s{seed}.json", cell(100, seed, 0.80 + jitter, 0.82 + jitter, 0.82 + jitter))


def test_exchange_rate_interpolates_the_real_curve_in_log_n(tmp_path: Path):
    write_cells(tmp_path)
    from fashiongan.classify.study_v1_report import load_cells

    summary = summarise(rows(load_cells(tmp_path)))
    assert summary[10]["real"]["mean"] == pytest.approx(0.70)
    assert summary[10]["real"]["std"] == pytest.approx(0.01414, abs=1e-4)
    assert exchange_rate(summary, "real", 0.76) == pytest.approx(10**1.6, rel=1e-6)  # 0.6 of the way, in log N
    assert exchange_rate(summary, "real", 0.95) is None


def test_verdicts_say_which_way_it_falls():
    assert verdict({"mean": 0.76, "std": 0.01}, {"mean": 0.72, "std": 0.01}).startswith("GAN beats classic beyond")
    assert verdict({"mean": 0.70, "std": 0.01}, {"mean": 0.75, "std": 0.01}).startswith("GAN is worse than classic")
    assert verdict({"mean": 0.73, "std": 0.02}, {"mean": 0.72, "std": 0.02}).startswith("no difference beyond")


def test_write_report_makes_csv_markdown_and_plot(tmp_path: Path):
    write_cells(tmp_path)
    write_report(tmp_path)
    table = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert len(table) == 12 and table[0]["arm"] == "real"
    report = (tmp_path / "report.md").read_text()
    assert "| 10 | 2 | 70.00 ± 1.41 | 72.00 ± 1.41 | 76.00 ± 1.41 |" in report
    beats = "GAN beats classic beyond the spread (+4.00 points > 2.83)"
    assert f"| 10 | classic+gan@1 (76.00 ± 1.41) | {beats} | 40 |" in report
    assert "| 100 | classic+gan@1 (82.00 ± 1.41) | no difference beyond the spread" in report
    assert (tmp_path / "accuracy_vs_n.png").stat().st_size > 1000


def test_an_empty_study_folder_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="has no finished study cells"):
        write_report(tmp_path)
