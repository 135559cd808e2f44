"""`fashiongan classify` and `fashiongan study` as a user runs them, and their one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashiongan.cli import main
from tests.conftest import _write_idx
from tests.evaluation.helpers import write_tiny_fmnist


def fashiongan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fashiongan", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))  # fmt: skip


@pytest.fixture(scope="module")
def fmnist_dir(tmp_path_factory) -> Path:
    return write_tiny_fmnist(tmp_path_factory.mktemp("classify-cli") / "fmnist", _write_idx, n_train=200, n_test=30)


def test_train_then_predict_with_a_bad_file_among_good_ones(fmnist_dir: Path, tmp_path: Path):
    run_dir = tmp_path / "run"
    result = fashiongan("classify", "train", "--data-dir", str(fmnist_dir), "--preset", "small-cnn", "--epochs", "2",
                        "--out", str(run_dir), "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Test accuracy" in result.stdout and "on 30 official test images after 2 epochs" in result.stdout
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["command"].startswith("fashiongan classify train --data-dir")
    assert "--preset small-cnn --epochs 2" in metrics["command"]
    assert (run_dir / "confusion_matrix.png").is_file() and (run_dir / "checkpoints/last/model.safetensors").is_file()
    good = tmp_path / "shoe.png"
    Image.fromarray(np.full((40, 30), 200, dtype=np.uint8), "L").save(good)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"")
    result = fashiongan("classify", "predict", str(run_dir), str(bad), str(good))
    assert result.returncode == 2
    assert result.stderr.strip() == f"fashiongan: error: {bad}: zero bytes"
    path, name, probability = result.stdout.strip().split("\t")
    assert path == str(good) and name in metrics["class_names"] and 0 < float(probability) <= 1


def test_binary_folder_run_uses_a_stratified_test_split(tmp_path: Path, capsys):
    rng = np.random.default_rng(0)
    for cls, value in (("bags", 40), ("shoes", 220)):
        (tmp_path / "shop" / cls).mkdir(parents=True)
        for i in range(10):
            pixels = np.clip(rng.normal(value, 20, (36, 36, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels, "RGB").save(tmp_path / "shop" / cls / f"{i}.png")
    code = main(["classify", "train", "--data", str(tmp_path / "shop"), "--preset", "binary256", "--image-size", "32",
                 "--epochs", "3", "--out", str(tmp_path / "run"), "--no-progress"])  # fmt: skip
    assert code == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_split"] == "stratified" and metrics["test_images"] == 4 and metrics["class_names"] == [
        "bags", "shoes"]  # fmt: skip
    assert "Test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["classify", "train", "--synthetic-ratio", "2"], "--synthetic-ratio, --synthetic-mode and --synthetic-truncation"),
    (["classify", "train", "--synthetic-truncation", "0.5"], "need --synthetic GAN_RUN"),
    (["classify", "train", "--preset", "binary256", "--data-dir", "{fmnist}", "--out", "{tmp}/r"],
     "preset binary256 is a two-class classifier; the data has 10 classes"),
    (["classify", "train", "--data", "{tmp}/nope"], "--data {tmp}/nope: no such folder"),
    (["classify", "train", "--resume"], "--resume needs --out RUN_DIR"),
    (["classify", "predict", "{tmp}", "x.png"], "classifier run config not found"),
    (["study", "augmentation", "--per-class", "0,10", "--out", "{tmp}/s"], "--per-class takes positive integers"),
    (["study", "augmentation", "--ratios", "1,x", "--out", "{tmp}/s"], "--ratios takes numbers"),
    (["study", "augmentation", "--shard", "3/2", "--out", "{tmp}/s"], "--shard K/N needs 1 <= K <= N"),
    (["study", "merge", "{tmp}"], "has no finished study cells"),
    (["evaluate", "--samples", "x.npz", "--cas"], "--cas needs RUN_DIR"),
])  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(args, message, fmnist_dir: Path, tmp_path: Path, capsys):
    args = [a.format(tmp=tmp_path, fmnist=fmnist_dir) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fashiongan: error: ")
    assert message.format(tmp=tmp_path) in err[0]


def test_a_tiny_study_runs_resumes_and_merges(fmnist_dir: Path, tmp_path: Path, capsys):
    args = ["study", "augmentation", "--protocol", "v1", "--per-class", "2", "--seeds", "1", "--ratios", "1",
            "--gan-minutes", "0.01",
            "--classifier-steps", "1", "--classifier-preset", "small-cnn", "--data-dir", str(fmnist_dir),
            "--device", "cpu", "--out", str(tmp_path / "study")]  # fmt: skip
    assert main(args) == 0
    assert "Ran 1 cell(s)" in capsys.readouterr().out
    assert main(args) == 0
    assert "Ran 0 cell(s)" in capsys.readouterr().out
    assert main(["study", "merge", str(tmp_path / "study")]) == 0
    report = (tmp_path / "study" / "report.md").read_text()
    assert "| 2 | 1 |" in report and "classic+gan@1" in report


def test_a_tiny_v2_study_runs_by_default_resumes_and_merges(fmnist_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "study"
    args = ["study", "augmentation", "--per-class", "3", "--seeds", "1", "--gan-kimg", "0.2", "--min-passes", "1",
            "--min-steps", "1", "--transfer-n", "none", "--eval-n", "0", "--classifier-preset", "small-cnn",
            "--data-dir", str(fmnist_dir), "--device", "cpu", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    assert "Ran 1 cell(s)" in capsys.readouterr().out
    assert main(args) == 0 and "Ran 0 cell(s)" in capsys.readouterr().out
    assert main(["study", "merge", str(out)]) == 0
    assert "**Protocol (v2).**" in (out / "report.md").read_text()
    assert main([*args[:2], "--protocol", "v1", *args[2:]]) == 2  # v2-only flags with --protocol v1
    assert "--gan-kimg is an option of the other protocol, not v1" in capsys.readouterr().err
    assert main([*args, "--truncation", "0.5"]) == 2
    assert "--truncation is an option of the other protocol, not v2" in capsys.readouterr().err
