"""`fashiongan evaluate` as a user runs it: a subprocess on a tiny run and a tiny .npz, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fashiongan.cli import main
from fashiongan.data.fashion_mnist import load_fashion_mnist
from tests.evaluation.helpers import save_random_evaluator, write_tiny_fmnist

REPORT_FILES = {
    "report.md", "samples_per_class.png", "confusion_matrix.png", "predicted_classes.png",
    "nearest_neighbours.png", "memorisation_distances.png",
}  # fmt: skip


def fashiongan(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fashiongan", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny Fashion-MNIST-shaped folder (60 train, 30 test) and an untrained evaluator."""
    folder = tmp_path_factory.mktemp("evaluate-cli")
    from tests.conftest import _write_idx

    return write_tiny_fmnist(folder / "fmnist", _write_idx), save_random_evaluator(folder / "ev.safetensors")


def test_evaluate_a_tiny_run_writes_eval_json_and_the_report(tiny, tmp_path: Path):
    data_dir, evaluator = tiny
    run_dir = tmp_path / "run"
    # the run is made in-process (the train CLI has its own subprocess tests); evaluate runs as a user runs it
    code = main(["train", "--data-dir", str(data_dir), "--epochs", "1", "--batch-size", "32", "--z-dim", "8",
                 "--out", str(run_dir), "--no-progress"])  # fmt: skip
    assert code == 0
    result = fashiongan(
        "evaluate", str(run_dir), "--n", "20", "--evaluator", str(evaluator), "--device", "cpu"
    )
    assert result.returncode == 0, result.stderr
    assert "N=20 generated vs fmnist test split (30 images); floor: 20 real train images" in result.stdout
    for words in ("FID", "KID", "precision", "coverage", "class accuracy", "copies (pixel)"):
        assert words in result.stdout
    numbers = json.loads((run_dir / "eval.json").read_text())
    assert numbers["protocol"]["n"] == 20 and numbers["protocol"]["generator"]["checkpoint"] == "last"
    assert {"fid", "kid", "precision", "recall", "density", "coverage", "class_accuracy"} <= set(
        numbers["floor"]
    )
    assert sum(map(sum, numbers["confusion_matrix"])) == 20  # a conditional run: classes 0..9 cycled
    assert {p.name for p in (run_dir / "eval").iterdir()} == REPORT_FILES
    assert (
        "![Nearest training images](nearest_neighbours.png)" in (run_dir / "eval" / "report.md").read_text()
    )


def test_evaluate_samples_from_any_generator(tiny, tmp_path: Path):
    data_dir, evaluator = tiny
    test = load_fashion_mnist("test", data_dir)
    npz = tmp_path / "other.npz"
    np.savez(npz, images=test.images[:, 0].numpy())  # unconditional: no labels
    env = {"FASHION_MNIST_DIR": str(data_dir)}
    outputs = ["--json", str(tmp_path / "e.json"), "--report", str(tmp_path / "rep")]
    result = fashiongan("evaluate", "--samples", str(npz), "--evaluator", str(evaluator), *outputs, env=env)
    assert result.returncode == 0, result.stderr
    numbers = json.loads((tmp_path / "e.json").read_text())
    assert numbers["fid"] == pytest.approx(0.0, abs=1e-6)  # the reference itself
    assert numbers["class_accuracy"] is None and numbers["protocol"]["samples"] == str(npz)
    assert {p.name for p in (tmp_path / "rep").iterdir()} == REPORT_FILES - {"confusion_matrix.png"}
    assert f"Wrote {tmp_path / 'e.json'}" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "give exactly one of RUN_DIR or --samples"),
        (["somewhere", "--samples", "x.npz"], "give exactly one of RUN_DIR or --samples"),
        (["--samples", "x.npz", "--n", "100"], "--n and --checkpoint apply to RUN_DIR"),
        (["runs/x", "--data", "photos"], "--data and --data-dir apply to --samples"),
        (["--samples", "{tmp}/missing.npz"], "samples file not found"),
        (["--samples", "{tmp}/bad.npz"], "must be uint8"),
        (["--samples", "{tmp}/notzip.npz"], "is not a readable .npz file"),
        (["{tmp}/no-run"], "run folder not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, args: list[str], words: str):
    np.savez(tmp_path / "bad.npz", images=np.zeros((20, 28, 28), np.float32))
    (tmp_path / "notzip.npz").write_text("hello")
    code = main(["evaluate", *[a.format(tmp=tmp_path) for a in args]])
    err = capsys.readouterr().err
    assert code == 2, err
    assert words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("fashiongan: error: ")


def test_a_missing_inception_setup_is_a_note_not_a_failure(tiny, tmp_path: Path, monkeypatch, capsys):
    data_dir, evaluator = tiny
    test = load_fashion_mnist("test", data_dir)
    npz = tmp_path / "s.npz"
    np.savez(npz, images=test.images[:, 0].numpy(), labels=test.labels.numpy())
    monkeypatch.setenv("FASHION_MNIST_DIR", str(data_dir))
    monkeypatch.setitem(sys.modules, "torch_fidelity", None)  # as if the optional library were absent
    code = main(["evaluate", "--samples", str(npz), "--evaluator", str(evaluator), "--device", "cpu",
                 "--inception", "--json", str(tmp_path / "e.json")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "Inception FID/KID skipped: --inception needs torch-fidelity" in out
    numbers = json.loads((tmp_path / "e.json").read_text())
    assert "torch-fidelity" in numbers["inception"]["error"] and numbers["fid"] is not None
