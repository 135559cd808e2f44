"""The augmentation study on tiny data: the leakage rule, resume after an interruption, shards."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

import fashiongan
from fashiongan.classify import study_v1 as study
from fashiongan.classify.study_v1 import StudyPlan, cell_subset, load_study_data, run_study, shard_cells, subset_digest
from fashiongan.classify.study_v1_report import write_report
from fashiongan.errors import UserError
from tests.conftest import _write_idx
from tests.evaluation.helpers import write_tiny_fmnist

TINY_GAN = {"model.g_channels": 16, "model.d_channels": 8, "model.z_dim": 8, "train.batch_size": 128}


@pytest.fixture(scope="module")
def fmnist_dir(tmp_path_factory) -> Path:
    """200 training images (20 per class; half become the validation split) and 30 test images."""
    return write_tiny_fmnist(tmp_path_factory.mktemp("study") / "fmnist", _write_idx, n_train=200, n_test=30)


def tiny_plan(fmnist_dir: Path, **changes) -> StudyPlan:
    base = dict(per_class=[2], seeds=[0, 1], ratios=[1.0], gan_seconds=0.5, classifier_preset="small-cnn",
                classifier_steps=2, data_dir=str(fmnist_dir), device="cpu", gan_overrides=TINY_GAN)
    return StudyPlan(**{**base, **changes})


def image_keys(images: torch.Tensor) -> set[bytes]:
    return {image.numpy().tobytes() for image in images}


def test_each_cell_gan_sees_only_that_cells_n_per_class_images(fmnist_dir: Path, tmp_path: Path, monkeypatch):
    seen = []
    real_train = fashiongan.train

    def spy(config, run_dir, **kwargs):
        seen.append((Path(run_dir).parent.name, kwargs["data"]))
        return real_train(config, run_dir, **kwargs)

    monkeypatch.setattr(fashiongan, "train", spy)
    plan = tiny_plan(fmnist_dir, per_class=[2, 3], seeds=[0])
    run_study(plan, tmp_path / "out")
    data = load_study_data(plan)
    forbidden = image_keys(data.test.images) | image_keys(data.val.images)
    assert sorted(name for name, _ in seen) == ["n2-s0", "n3-s0"]
    for name, gan_data in seen:
        per_class = int(name[1:].split("-")[0])
        positions = cell_subset(data, per_class, 0)
        allowed = image_keys(data.train.images[positions])
        assert image_keys(gan_data.images) == allowed and len(allowed) == per_class * 10
        assert not image_keys(gan_data.images) & forbidden
        cell = json.loads((tmp_path / "out" / "cells" / f"{name}.json").read_text())
        assert cell["subset_sha256"] == subset_digest(positions) and cell["real_per_class"] == [per_class] * 10
    assert not set(cell_subset(data, 3, 0).tolist()) & set(range(200)) - set(data.pool.tolist())


def test_an_interrupted_study_resumes_and_skips_finished_cells(fmnist_dir: Path, tmp_path: Path, monkeypatch):
    plan, out = tiny_plan(fmnist_dir), tmp_path / "out"
    real_train_arm, calls = study.train_arm, []

    def crash_in_second_cell(*args, **kwargs):
        calls.append(args[4])
        if args[4] == 1:  # seed 1: the second cell dies after its GAN, in its first classifier
            raise KeyboardInterrupt
        return real_train_arm(*args, **kwargs)

    monkeypatch.setattr(study, "train_arm", crash_in_second_cell)
    with pytest.raises(KeyboardInterrupt):
        run_study(plan, out)
    assert sorted(p.name for p in (out / "cells").iterdir()) == ["n2-s0.json"]
    first = (out / "cells" / "n2-s0.json").read_bytes()
    monkeypatch.setattr(study, "train_arm", real_train_arm)
    resumed = []
    real_train = fashiongan.train
    monkeypatch.setattr(fashiongan, "train", lambda *a, **k: resumed.append(k["resume"]) or real_train(*a, **k))
    ran = run_study(plan, out)
    assert [cell["cell"] for cell in ran] == ["n2-s1"] and resumed == [True]  # its GAN continued, not restarted
    assert (out / "cells" / "n2-s0.json").read_bytes() == first
    assert run_study(plan, out) == []  # everything done: nothing runs
    paths = write_report(out)
    assert [p.name for p in paths] == ["results.csv", "report.md", "accuracy_vs_n.png"]
    assert len((out / "results.csv").read_text().splitlines()) == 1 + 2 * 3  # 2 seeds x 3 arms
    with pytest.raises(UserError, match="holds a study with other settings"):
        run_study(tiny_plan(fmnist_dir, ratios=[2.0]), out)


def test_shards_and_torchrun_ranks_split_the_cells(monkeypatch):
    cells = list(range(7))
    parts = [shard_cells(cells, (k, 3))[0] for k in (1, 2, 3)]
    assert sorted(sum(parts, [])) == cells and parts[0] == [0, 3, 6]
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert shard_cells(cells, None)[0] == [1, 3, 5]
    with pytest.raises(UserError, match="--shard K/N needs 1 <= K <= N; got 4/3"):
        shard_cells(cells, (4, 3))


def test_the_filter_lever_adds_arms_judged_by_the_cells_real_only_classifier(fmnist_dir: Path, tmp_path: Path):
    plan = tiny_plan(fmnist_dir, seeds=[0], filter_confidence=0.3)
    (cell,) = run_study(plan, tmp_path / "out")
    assert [a["arm"] for a in cell["arms"]] == ["real", "classic", "classic+gan@1", "classic+gan@1+filter"]
    config = json.loads((tmp_path / "out" / "work" / "n2-s0" / "classic+gan-1+filter" / "config.json").read_text())
    assert config["classify"]["synthetic_filter"] == str(tmp_path / "out" / "work" / "n2-s0" / "real")
    assert "classic+gan@1+filter" in write_report(tmp_path / "out")[1].read_text()


def test_the_truncation_lever_adds_arms_sampling_with_less_noise(fmnist_dir: Path, tmp_path: Path):
    plan = tiny_plan(fmnist_dir, seeds=[0], truncation=0.7)
    assert "truncation" not in tiny_plan(fmnist_dir).comparable()  # studies saved before the lever continue
    (cell,) = run_study(plan, tmp_path / "out")
    assert [a["arm"] for a in cell["arms"]] == ["real", "classic", "classic+gan@1", "classic+gan@1+trunc"]
    config = json.loads((tmp_path / "out" / "work" / "n2-s0" / "classic+gan-1+trunc" / "config.json").read_text())
    assert config["classify"]["synthetic_truncation"] == pytest.approx(0.7)
    plain = json.loads((tmp_path / "out" / "work" / "n2-s0" / "classic+gan-1" / "config.json").read_text())
    assert plain["classify"]["synthetic_truncation"] == pytest.approx(1.0)


def test_under_torchrun_a_rank_runs_its_cells_as_single_processes(fmnist_dir: Path, tmp_path: Path, monkeypatch):
    # torchrun's environment without a process group: were it left in place, the cell's GAN and classifier
    # trainings would try to join the other ranks' (different) jobs instead of running alone
    for name, value in {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": "1"}.items():
        monkeypatch.setenv(name, value)
    ran = run_study(tiny_plan(fmnist_dir), tmp_path / "out")
    assert [cell["cell"] for cell in ran] == ["n2-s1"]  # rank 1 of 2: the second cell
    assert "WORLD_SIZE" not in os.environ and "RANK" not in os.environ
