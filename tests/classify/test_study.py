"""The v2 augmentation study on tiny data: equal real-image exposure, no GAN sees validation or test
images, resumability and protocol checks, the cell's choices on validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import fashiongan
from fashiongan.classify import study_arms
from fashiongan.classify.study import run_study
from fashiongan.classify.study_data import cell_split, load_study_data, source_positions, val_per_class
from fashiongan.classify.study_plan import StudyPlan, classifier_recipe, gan_kimg
from fashiongan.classify.study_report import write_report
from fashiongan.errors import UserError
from fashiongan.io import write_json
from tests.conftest import _write_idx
from tests.evaluation.helpers import write_tiny_fmnist

TINY_GAN = {"model.g_channels": 16, "model.d_channels": 8, "model.z_dim": 8, "train.batch_size": 32,
            "train.epoch_images": 64}  # fmt: skip


@pytest.fixture(scope="module")
def fmnist_dir(tmp_path_factory) -> Path:
    """200 training images (20 per class) and 30 test images."""
    return write_tiny_fmnist(tmp_path_factory.mktemp("study") / "fmnist", _write_idx, n_train=200, n_test=30)


def tiny_plan(fmnist_dir: Path, **changes) -> StudyPlan:
    base = dict(per_class=[4], seeds=[0], ratios=[1.0], gan_kimg_small=0.08, gan_kimg_large=0.08,
                classifier_preset="small-cnn", min_passes=3, min_steps=1, precision="fp32", transfer_per_class=[4],
                source_kimg=0.1, pseudo_threshold=0.0, pseudo_candidates=50, pool_per_class=6, eval_n=0,
                data_dir=str(fmnist_dir), device="cpu", gan_overrides=TINY_GAN)
    return StudyPlan(**{**base, **changes})


def image_keys(images: torch.Tensor) -> set[bytes]:
    return {image.numpy().tobytes() for image in images}


@pytest.fixture(scope="module")
def one_cell(fmnist_dir: Path, tmp_path_factory) -> tuple[dict, list, Path]:
    """One finished cell with every arm (transfer included), and every fashiongan.train call it made."""
    calls = []
    real_train = fashiongan.train

    def spy(config, run_dir, **kwargs):
        calls.append((Path(run_dir).name, kwargs["data"], kwargs.get("holdout"), config))
        return real_train(config, run_dir, **kwargs)

    out = tmp_path_factory.mktemp("cell") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fashiongan, "train", spy)
        (cell,) = run_study(tiny_plan(fmnist_dir), out)
    return cell, calls, out


def test_every_arm_sees_the_same_real_images_and_extra_ones_add_to_them(one_cell):
    cell, _, _ = one_cell
    passes, real = cell["recipe"]["passes"], cell["real_images"]
    assert real == 20 and cell["val_images"] == 20 and passes == 3  # N = 4: 2 to validate, 2 to train per class
    rows = {(r["arm"], r["ratio"]): r for r in cell["arms"]}
    assert sorted(a for a, _ in rows) == sorted(["real", "classic", "strong", "real+gan", "classic+gan", "strong+gan",
                                                 "gan-only", "transfer+gan", "pseudo-label"])
    for (arm, ratio), row in rows.items():
        if arm == "gan-only":  # GAN images alone, as many per pass as the real set
            assert row["real_images_shown"] == 0 and row["synthetic_images_shown"] == passes * real
        else:
            assert row["real_images_shown"] == passes * real, arm
            asked = round((ratio or 0) * passes * real)  # pseudo-labels: at most that many (the confident ones)
            shown = row["synthetic_images_shown"]
            assert shown == asked or (arm == "pseudo-label" and 0 < shown <= asked), arm
    assert rows[("classic+gan", 1.0)]["steps"] > rows[("classic", None)]["steps"]  # (1 + R) x the images
    assert all(r["chosen"] for r in cell["arms"])  # one ratio each: chosen by default


def test_no_gan_trains_on_validation_or_test_images(one_cell, fmnist_dir: Path):
    cell, calls, _ = one_cell
    plan = tiny_plan(fmnist_dir)
    data = load_study_data(plan)
    split = cell_split(data.train.labels, 4, 0)
    train, val = image_keys(data.train.images[split.train]), image_keys(data.train.images[split.val])
    test = image_keys(data.test.images)
    by_name = {name: (gan_data, holdout, config) for name, gan_data, holdout, config in calls}
    assert sorted(by_name) == ["gan", "transfer-gan", "transfer-source"]
    for name in ("gan", "transfer-gan"):
        gan_data, holdout, config = by_name[name]
        assert image_keys(gan_data.images) == train and len(gan_data) == 20  # exactly the cell's training images
        assert image_keys(holdout.images) == val and not train & val and not (train | val) & test
        assert config.train.select_features == "random" and config.train.augment == "ada"
    assert by_name["transfer-gan"][2].train.init_from.endswith("transfer-source")
    source_data = by_name["transfer-source"][0]
    assert not by_name["transfer-source"][2].model.conditional
    assert not image_keys(source_data.images) & (val | test)  # every cell's validation images are left out
    assert len(source_data) == len(source_positions(data.train.labels, plan)) == 200 - 20
    assert cell["transfer_gan"]["init_from"] == "work/transfer-source"  # relative: the record names no machine path
    assert cell["pseudo"]["labeller"] in ("real", "classic", "strong")


def test_a_rerun_skips_finished_cells_and_other_protocols_are_refused(one_cell, fmnist_dir: Path, tmp_path: Path):
    _, _, out = one_cell
    before = (out / "cells" / "n4-s0.json").read_bytes()
    assert run_study(tiny_plan(fmnist_dir), out) == []
    assert (out / "cells" / "n4-s0.json").read_bytes() == before
    with pytest.raises(UserError, match=r"holds a study with other settings \(ratios differ"):
        run_study(tiny_plan(fmnist_dir, ratios=[2.0]), out)
    v1 = tmp_path / "v1"
    write_json(v1 / "study.json", {"comparable": {}, "plan": {}})
    with pytest.raises(UserError, match="holds a study of protocol v1 .* --protocol v1 to continue it"):
        run_study(tiny_plan(fmnist_dir), v1)
    mixed = tmp_path / "mixed"
    write_json(mixed / "cells" / "n10-s0.json", {"cell": "n10-s0", "arms": []})
    with pytest.raises(UserError, match=r"n10-s0.json is a cell of protocol v1, not v2; use another --out"):
        run_study(tiny_plan(fmnist_dir), mixed)


def test_the_report_of_a_run_cell(one_cell):
    _, _, out = one_cell
    paths = write_report(out)
    assert [p.name for p in paths] == ["results.csv", "report.md", "accuracy_vs_n.png"]
    report = (out / "report.md").read_text()
    assert "**Protocol (v2).**" in report and "| n4-s0 |" in report
    cell = json.loads((out / "cells" / "n4-s0.json").read_text())
    assert cell["machine"] and f"Machines: {cell['machine']} (n4-s0)." in report
    assert cell["gan"]["steps_trained"] >= cell["gan"]["checkpoint_step"] > 0
    assert len((out / "results.csv").read_text().splitlines()) == 1 + 9  # 9 classifiers


def test_an_interrupted_cell_continues_its_gans_and_classifiers(fmnist_dir: Path, tmp_path: Path, monkeypatch):
    plan, out = tiny_plan(fmnist_dir, transfer_per_class=[], large_from=4), tmp_path / "out"
    real_train_arm = study_arms.train_arm
    import fashiongan.classify.study as study_module

    def crash_at_strong(run, arm, pool=None):
        if arm.name == "strong":
            raise KeyboardInterrupt
        return real_train_arm(run, arm, pool)

    monkeypatch.setattr(study_module, "train_arm", crash_at_strong)
    with pytest.raises(KeyboardInterrupt):
        run_study(plan, out)
    assert not (out / "cells").exists() and (out / "work" / "n4-s0" / "classic" / "metrics.json").is_file()
    monkeypatch.setattr(study_module, "train_arm", real_train_arm)
    trained = []
    monkeypatch.setattr(fashiongan, "train", lambda *a, **k: trained.append(1) or pytest.fail("GAN retrained"))
    (cell,) = run_study(plan, out)  # the GAN's record is reused; finished arms are read back
    assert not trained and [r["arm"] for r in cell["arms"]] == ["real", "classic", "strong", "best+gan", "gan-only"]
    best = {r["arm"]: r for r in cell["arms"]}[cell["best_non_gan"]]  # N >= large_from: one GAN arm, on the best
    assert {r["arm"]: r for r in cell["arms"]}["best+gan"]["augment"] == best["augment"]
    assert {r["arm"]: r for r in cell["arms"]}["best+gan"]["ratio"] == pytest.approx(0.5)  # the large ratios


def test_cell_rules(fmnist_dir: Path):
    assert [val_per_class(n) for n in (3, 10, 25, 50, 250, 1000, None)] == [2, 2, 5, 10, 50, 100, 100]
    with pytest.raises(UserError, match="--per-class 1: a cell needs at least 2 images per class"):
        val_per_class(1)
    plan = StudyPlan()
    recipes = [classifier_recipe(plan, n, 128) for n in (80, 200, 400, 2000, 59_000)]
    assert [r.passes for r in recipes] == [320, 130, 70, 14, 4]  # max(4, ceil(800 x batch / n)), whole epochs
    assert [r.batch_size for r in recipes] == [32, 32, 32, 32, 128] and recipes[0].repeats == 32
    assert gan_kimg(plan, 10) == plan.gan_kimg_small and gan_kimg(plan, None) == plan.gan_kimg_large
    assert plan.ratios_at(50) == [1.0] and plan.ratios_at(250) == plan.ratios_at(None) == [0.5]
    assert plan.has_transfer(10) and not plan.has_transfer(50) and not plan.has_transfer(None)
    split = cell_split(load_study_data(tiny_plan(fmnist_dir)).train.labels, 10, 3)
    assert len(split.train) == 80 and len(split.val) == 20 and not set(split.train.tolist()) & set(split.val.tolist())
    config = json.loads(json.dumps(plan.comparable()))
    assert "device" not in config and config["per_class"] == [10, 25, 50, 250, None]


def test_cell_gans_choose_in_the_second_half_and_older_studies_keep_their_rule(fmnist_dir: Path, tmp_path: Path):
    from fashiongan.classify.study_gan import cell_gan_config
    from fashiongan.classify.study_plan import check_plan

    assert cell_gan_config(tiny_plan(fmnist_dir), 4, 0, 2, 20).train.select_after == pytest.approx(0.5)
    old = tiny_plan(fmnist_dir, gan_select_after=0.0)
    saved = old.comparable()
    del saved["gan_select_after"]  # a study.json written before the setting existed
    write_json(tmp_path / "study.json", {"protocol": "v2", "comparable": saved, "plan": {}})
    check_plan(old, tmp_path)  # it ran with any checkpoint eligible: continuing it that way is the same study
    with pytest.raises(UserError, match=r"other settings \(gan_select_after differ"):
        check_plan(tiny_plan(fmnist_dir), tmp_path)
