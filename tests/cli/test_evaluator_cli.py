"""`fashiongan evaluator train|info` through a subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fashiongan.evaluation.features import SHIPPED_WEIGHTS, EvaluatorInfo, json_path_for, save_evaluator
from fashiongan.evaluation.network import EvaluatorNet


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fashiongan", "evaluator", *args], capture_output=True, text=True, timeout=300
    )


def test_train_on_a_folder_writes_a_loadable_evaluator(tiny_image_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "models" / "shop.safetensors"
    result = _run("train", "--data", str(tiny_image_folder), "--channels", "3", "--epochs", "1", "--device", "cpu",
                  "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "saved evaluator to" in result.stdout and "val accuracy" in result.stdout
    facts = json.loads(json_path_for(out).read_text())
    expected = (f"fashiongan evaluator train --data {tiny_image_folder} --channels 3 --device cpu "
                f"--epochs 1 --seed 0 --out {out}")  # fmt: skip
    assert facts["command"] == expected and facts["seed"] == 0 and facts["channels"] == 3

    shown = _run("info", str(out))
    assert shown.returncode == 0, shown.stderr
    assert "class_names: bags, dresses, shoes" in shown.stdout and "sha256 check: passed" in shown.stdout


def test_info_rejects_changed_weights_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "ev.safetensors"
    info = EvaluatorInfo(sha256="", class_names=["a", "b"], image_size=28, channels=1, feature_dim=8,
                         test_accuracy=0.5, command="test", seed=0)  # fmt: skip
    save_evaluator(EvaluatorNet(num_classes=2, feature_dim=8), info, out)
    out.write_bytes(out.read_bytes()[:-1] + b"!")
    result = _run("info", str(out))
    assert result.returncode == 2
    assert result.stderr.startswith("fashiongan: error:") and "sha256" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_info_without_a_path_describes_the_shipped_evaluator() -> None:
    result = _run("info")
    if SHIPPED_WEIGHTS.is_file():
        assert result.returncode == 0, result.stderr
        assert "test_accuracy: 0.9" in result.stdout and "sha256 check: passed" in result.stdout
    else:
        assert result.returncode == 2 and "shipped evaluator weights" in result.stderr


def test_bad_flags_are_one_line_errors(tmp_path: Path) -> None:
    result = _run("train", "--image-size", "32", "--out", str(tmp_path / "x.safetensors"))
    assert result.returncode == 2 and "Fashion-MNIST is 28x28 grayscale" in result.stderr
    assert "Traceback" not in result.stderr
    result = _run("train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "x.safetensors"))
    assert result.returncode == 2 and "no such folder" in result.stderr
    assert not (tmp_path / "x.safetensors").exists()
