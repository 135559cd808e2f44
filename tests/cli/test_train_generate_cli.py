"""`fashiongan train` and `fashiongan generate` through a subprocess, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashiongan.data.fashion_mnist import locate_fashion_mnist


def fashiongan(*args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fashiongan", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert words in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("fashiongan")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """One short epoch on a real Fashion-MNIST subset: the integration test of the train path."""
    if locate_fashion_mnist() is None:
        pytest.skip("Fashion-MNIST files not found (apt-get install dataset-fashion-mnist)")
    run_dir = tmp_path_factory.mktemp("cli") / "run"
    # train.epoch_images=0: one pass over the 512 images per epoch (the preset repeats small data to 20,000)
    result = fashiongan("train", "--limit", "512", "--epochs", "1", "--batch-size", "64", "--out", str(run_dir),
                        "--set", "train.epoch_images=0", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert f"Run folder: {run_dir}" in result.stdout
    return run_dir


def test_train_on_real_fashion_mnist_leaves_the_promised_files(real_run: Path):
    for name in ("config.json", "metrics.jsonl", "losses.png", "accuracy.png", "progress.gif",
                 "samples/epoch_0001.png", "checkpoints/last/generator.safetensors"):
        assert (real_run / name).is_file(), name
    record = json.loads((real_run / "metrics.jsonl").read_text().splitlines()[0])
    assert record["epoch"] == 1 and record["step"] == 32  # 512 images / 16 per batch: the preset's batch starts at 16
    grid = Image.open(real_run / "samples" / "epoch_0001.png")
    assert grid.mode == "L" and grid.width > 28 * 10  # one row per class, ten columns


def test_generate_npz_has_the_documented_arrays(real_run: Path, tmp_path: Path):
    out = tmp_path / "g.npz"
    result = fashiongan("generate", str(real_run), "--n", "25", "--seed", "7", "--out", str(out))
    assert result.returncode == 0, result.stderr
    arrays = np.load(out, allow_pickle=False)
    assert arrays["images"].shape == (25, 28, 28) and arrays["images"].dtype == np.uint8
    assert arrays["labels"].dtype == np.int64 and arrays["labels"].tolist() == [i % 10 for i in range(25)]
    again = tmp_path / "again.npz"
    fashiongan("generate", str(real_run), "--seeds", "7-31", "--out", str(again))
    assert np.array_equal(np.load(again)["images"], arrays["images"])


def test_generate_one_class_to_a_folder_and_a_grid(real_run: Path, tmp_path: Path):
    folder = tmp_path / "sneakers"
    result = fashiongan("generate", str(real_run), "--n", "3", "--class", "Sneaker", "--out", str(folder))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["sneaker_00000.png", "sneaker_00001.png", "sneaker_00002.png"]
    assert Image.open(folder / "sneaker_00000.png").size == (28, 28)
    grid = tmp_path / "grid.png"
    assert fashiongan("generate", str(real_run), "--n", "20", "--out", str(grid)).returncode == 0
    assert Image.open(grid).size[0] > 0
    assert_one_line_error(fashiongan("generate", str(real_run), "--out", str(grid)), "already exists")
    walk = tmp_path / "walk.png"
    result = fashiongan("generate", str(real_run), "--interpolate", "--out", str(walk))
    assert result.returncode == 0 and walk.is_file()


def test_resume_adds_epochs_to_a_finished_run(real_run: Path, tmp_path: Path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(real_run, copy)
    result = fashiongan("train", "--resume", "--out", str(copy), "--epochs", "2", "--no-progress")
    assert result.returncode == 0, result.stderr
    epochs = [json.loads(line)["epoch"] for line in (copy / "metrics.jsonl").read_text().splitlines()]
    assert epochs == [1, 2]
    assert_one_line_error(fashiongan("train", "--resume", "--out", str(copy), "--lr", "0.1"), "cannot change")


def test_bad_generate_requests_are_one_line_errors(real_run: Path, tmp_path: Path):
    assert_one_line_error(fashiongan("generate", str(real_run), "--class", "Hat", "--out", str(tmp_path / "x.png")),
                          "valid classes: 0=T-shirt/top")
    assert_one_line_error(fashiongan("generate", str(tmp_path / "nope"), "--out", str(tmp_path / "x.png")),
                          "run folder not found")
    assert_one_line_error(fashiongan("generate", str(real_run), "--out", str(tmp_path / "x.jpg")),
                          "must end in .png or .npz")


def test_bad_train_arguments_are_clear_errors(tmp_path: Path):
    assert_one_line_error(fashiongan("train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "r")),
                          "missing")
    assert_one_line_error(fashiongan("train", "--resume"), "--resume needs --out")
    result = fashiongan("train", "--epochs", "0")
    assert result.returncode == 2 and "must be at least 1" in result.stderr and "Traceback" not in result.stderr


def test_dry_run_prints_the_merged_config():
    result = fashiongan("train", "--preset", "fmnist-mlp", "--epochs", "3", "--lr", "0.0002", "--dry-run")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["model"]["discriminator"] == "mlp"
    assert (config["train"]["epochs"], config["train"]["lr_g"], config["train"]["lr_d"]) == (3, 2e-4, 2e-4)


def test_train_and_generate_on_an_image_folder(tiny_image_folder: Path, tmp_path: Path):
    run_dir = tmp_path / "run"
    result = fashiongan("train", "--data", str(tiny_image_folder), "--image-size", "32", "--channels", "3",
                        "--epochs", "1", "--batch-size", "4", "--set", "train.epoch_images=0",  # one pass of 12 images
                        "--out", str(run_dir), "--no-progress")
    assert result.returncode == 0, result.stderr
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["data"]["image_size"], config["data"]["channels"], config["model"]["num_classes"]) == (32, 3, 3)
    out = tmp_path / "g.npz"
    result = fashiongan("generate", str(run_dir), "--n", "6", "--class", "shoes", "--out", str(out))
    assert result.returncode == 0, result.stderr
    arrays = np.load(out)
    assert arrays["images"].shape == (6, 32, 32, 3) and arrays["labels"].tolist() == [2] * 6
