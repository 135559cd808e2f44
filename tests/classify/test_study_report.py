"""The v2 study report from hand-made cell files: the baseline chosen on validation, paired intervals, files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fashiongan.classify.study_report import baseline, by_n, check_cell, summarise, write_report
from fashiongan.errors import UserError
from fashiongan.io import write_json

GAN = {"budget_kimg": 60.0, "wall_seconds": 65.0, "recall": 0.02, "precision": 0.9, "fid": 70.0,
       "class_accuracy": 0.97, "copies": 0.4, "checkpoint_step": 500}  # fmt: skip


def row(arm: str, test: float, val: float, ratio: float | None = None, augment: str = "none") -> dict:
    return {"arm": arm, "augment": augment, "ratio": ratio, "pool": "gan" if ratio else None, "test_accuracy": test,
            "val_accuracy": val, "chosen": True}


def cell(n: int, seed: int, arms: list[dict]) -> dict:
    return {"protocol": "v2", "cell": f"n{n}-s{seed}", "per_class": n, "seed": seed, "real_images": 8 * n,
            "real_per_class": [8] * 10, "gan": GAN, "recipe": {"passes": 320}, "cell_seconds": 100.0, "arms": arms}


# 5 seeds at N = 10. classic wins on validation (0.70 against strong's 0.69) though strong wins on test.
TEST = {"real": [0.70, 0.71, 0.69, 0.70, 0.72], "classic": [0.72, 0.73, 0.71, 0.72, 0.74],
        "strong": [0.75, 0.76, 0.74, 0.75, 0.77], "classic+gan": [0.74, 0.74, 0.74, 0.72, 0.755]}
VAL = {"real": 0.60, "classic": 0.70, "strong": 0.69, "classic+gan": 0.71}


def write_cells(out: Path) -> None:
    for seed in range(5):
        arms = [row(a, TEST[a][seed], VAL[a], 1.0 if "gan" in a else None, a.split("+")[0]) for a in TEST]
        write_json(out / "cells" / f"n10-s{seed}.json", cell(10, seed, arms))


def test_the_baseline_is_the_best_non_gan_arm_on_validation_not_test(tmp_path: Path):
    write_cells(tmp_path)
    table = by_n([check_cell(c, tmp_path) for c in map(_read, sorted((tmp_path / "cells").iterdir()))])
    assert baseline(table[10]) == "classic"  # strong has the best test accuracy, classic the best validation
    assert table[10]["best+gan"] == table[10]["classic+gan"]  # GAN on top of each cell's best non-GAN arm


def test_paired_differences_match_a_hand_computation(tmp_path: Path):
    write_cells(tmp_path)
    summary = summarise([_read(p) for p in sorted((tmp_path / "cells").iterdir())])[10]
    # classic+gan - classic per seed: 0.02, 0.01, 0.03, 0.00, 0.015 -> mean 0.015, sd 0.0111803,
    # half-width 2.7764 x 0.0111803 / sqrt(5) = 0.0138821
    interval = summary["versus"]["classic+gan"]
    assert interval.mean == pytest.approx(0.015) and interval.low == pytest.approx(0.0011179, abs=1e-6)
    assert interval.verdict == "better" and summary["baseline"] == "classic"
    assert summary["versus"]["strong"].verdict == "better" and summary["versus"]["real"].verdict == "worse"
    mean, half = summary["arms"]["classic"]
    assert mean == pytest.approx(0.724) and half == pytest.approx(2.7764 * 0.0114018 / 5**0.5, rel=1e-4)


def test_each_gan_arm_is_also_compared_with_its_own_augmentation(tmp_path: Path):
    real_gan = [0.71, 0.73, 0.70, 0.70, 0.74]  # real + GAN - real: 0.01, 0.02, 0.01, 0.00, 0.02
    for seed in range(5):
        arms = [row(a, TEST[a][seed], VAL[a], 1.0 if "gan" in a else None, a.split("+")[0]) for a in TEST]
        arms.append(row("real+gan", real_gan[seed], 0.5, 1.0, "real"))
        write_json(tmp_path / "cells" / f"n10-s{seed}.json", cell(10, seed, arms))
    summary = summarise([_read(p) for p in sorted((tmp_path / "cells").iterdir())])[10]
    matched = summary["matched"]["real+gan"]  # mean 0.012, sd 0.0083666, half 2.7764 x 0.0083666 / sqrt(5)
    assert matched.mean == pytest.approx(0.012) and matched.low == pytest.approx(0.012 - 0.0103884, abs=1e-6)
    against_classic = summary["versus"]["real+gan"]  # against the baseline (classic): -0.008, no difference shown
    assert against_classic.mean == pytest.approx(-0.008) and against_classic.verdict == "no difference shown"
    assert set(summary["matched"]) == {"real+gan", "classic+gan"}
    write_report(tmp_path)
    assert "| 10 | real+gan | real | +1.20 | [+0.16, +2.24] | **better** |" in (tmp_path / "report.md").read_text()


def test_write_report_makes_csv_markdown_and_plot(tmp_path: Path):
    write_cells(tmp_path)
    paths = write_report(tmp_path)
    assert [p.name for p in paths] == ["results.csv", "report.md", "accuracy_vs_n.png"]
    table = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert len(table) == 20 and table[3]["arm"] == "classic+gan" and table[3]["gan_recall"] == "0.02"
    report = (tmp_path / "report.md").read_text()
    assert "| 10 | 5 | classic | 70.40 ± 1.42 | 72.40 ± 1.42 |" in report
    assert "| 10 | classic+gan | classic | +1.50 | [+0.11, +2.89] | **better** |" in report
    assert "copies its training images (40 % of samples); covers a narrow slice of each class" in report
    assert (tmp_path / "accuracy_vs_n.png").stat().st_size > 1000


def test_the_report_names_the_machine_of_each_cell_and_the_steps_its_gan_trained(tmp_path: Path):
    """A study resumed on another machine gives its time-budgeted GANs other step counts: the report shows both."""
    write_cells(tmp_path)
    for seed, machine in ((0, "CPU A"), (1, "CPU B"), (2, "CPU A")):
        path = tmp_path / "cells" / f"n10-s{seed}.json"
        record = json.loads(path.read_text()) | {"machine": machine}
        record["gan"] = record["gan"] | {"steps_trained": 1000 + seed}
        write_json(path, record)
    write_report(tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert "Machines: CPU A (n10-s0, n10-s2); CPU B (n10-s1); not recorded (n10-s3, n10-s4)." in report
    assert "| n10-s1 | 0.020 | 0.400 | 0.970 | 500 / 1001 |" in report
    assert "| n10-s3 | 0.020 | 0.400 | 0.970 | 500 / – |" in report


def test_cells_of_another_protocol_or_with_bad_arms_are_user_errors(tmp_path: Path):
    with pytest.raises(UserError, match="has no finished study cells"):
        write_report(tmp_path)
    with pytest.raises(UserError, match="is a cell of protocol v1, not v2"):
        check_cell({"cell": "n10-s0", "arms": []}, tmp_path / "n10-s0.json")
    bad = cell(10, 0, [row("classic+gan@1", 0.5, 0.5)])
    with pytest.raises(UserError, match="arm"):
        check_cell(bad, tmp_path / "n10-s0.json")


def _read(path: Path) -> dict:
    import json

    return json.loads(path.read_text())
