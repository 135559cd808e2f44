"""`torchrun -m fashiongan evaluate`: two ranks share the images and give the numbers one process gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fashiongan.evaluation.run_samples import rank_block
from tests.training.test_distributed import free_port

pytestmark = pytest.mark.distributed

SAME = ("fid", "kid", "precision", "recall", "density", "coverage", "class_accuracy", "inception_score")


def evaluate_command(tiny_run, out: Path, launcher: list[str]) -> subprocess.CompletedProcess:
    command = [*launcher, "-m", "fashiongan", "evaluate", str(tiny_run.run_dir), "--num-images", "37", "--evaluator",
               str(tiny_run.evaluator), "--device", "cpu", "--json", str(out / "eval.json"), "--report",
               str(out / "report")]
    env = os.environ | {"FASHIONGAN_DIST_TIMEOUT": "60", "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)


def test_two_ranks_evaluate_like_one_process_and_only_rank_0_writes(tiny_run, tmp_path: Path):
    one, two = tmp_path / "one", tmp_path / "two"
    single = evaluate_command(tiny_run, one, [sys.executable])
    assert single.returncode == 0, single.stderr
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port",
                str(free_port())]
    pair = evaluate_command(tiny_run, two, torchrun)
    assert pair.returncode == 0, pair.stderr
    assert pair.stdout.count("class accuracy") == single.stdout.count("class accuracy") == 1  # rank 0 reports
    a, b = (json.loads((folder / "eval.json").read_text()) for folder in (one, two))
    assert b["protocol"]["processes"] == 2 and a["protocol"]["processes"] == 1
    for key in SAME:  # 37 images split 19 + 18, odd seeds and classes included: the same images and features
        assert b[key] == pytest.approx(a[key], rel=1e-6, abs=1e-9), key
    assert b["confusion_matrix"] == a["confusion_matrix"] and b["memorisation"] == a["memorisation"]
    assert sorted(p.name for p in (two / "report").iterdir()) == sorted(p.name for p in (one / "report").iterdir())


@pytest.mark.parametrize("n,world", [(37, 2), (10, 3), (5, 8), (10_000, 4)])
def test_rank_blocks_cover_every_image_once_in_order(n: int, world: int, monkeypatch):
    blocks = []
    for rank in range(world):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", str(world))
        blocks.append(rank_block(n))
    assert [i for start, stop in blocks for i in range(start, stop)] == list(range(n))


@pytest.mark.parametrize("command", [["train", "--epochs", "1"], ["classify", "train", "--epochs", "1"]])
def test_under_torchrun_the_run_folder_must_be_named(command: list[str], monkeypatch, capsys):
    from fashiongan.cli import main

    monkeypatch.setenv("WORLD_SIZE", "2")  # a default runs/…-NNN could be a different folder on each rank
    assert main(command) == 2
    assert "under torchrun, pass --out RUN_DIR" in capsys.readouterr().err
