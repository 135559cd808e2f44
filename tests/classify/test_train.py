"""train_classifier end to end on tiny data: multi-class and binary, run folder, resume, budgets, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fashiongan.classify import train as train_module
from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.predict import load_classifier
from fashiongan.classify.scores import predict_labels
from fashiongan.classify.train import one_cycle_lr, train_classifier
from fashiongan.data.splits import Splits
from fashiongan.errors import UserError
from fashiongan.io import load_tensors
from tests.classify.conftest import banded

RUN_FILES = {"config.json", "history.jsonl", "metrics.json", "confusion_matrix.png", "loss.png", "accuracy.png",
             "checkpoints"}  # fmt: skip


def test_multiclass_run_learns_and_leaves_a_complete_run_folder(tiny_splits: Splits, tmp_path: Path):
    config = ClassifyConfig(preset="small-cnn", epochs=8, batch_size=16, lr=3e-3, device="cpu")
    result = train_classifier(config, tmp_path / "run", splits=tiny_splits, progress_bar=False, command="cmd")
    assert {p.name for p in (tmp_path / "run").iterdir()} == RUN_FILES
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics == result.metrics and metrics["command"] == "cmd"
    assert metrics["test_accuracy"] >= 0.9  # the bands are easy: an untrained model scores about 0.25
    assert set(metrics["per_class"]) == {"class0", "class1", "class2", "class3"}
    assert {"precision", "recall", "f1", "support"} == set(metrics["per_class"]["class0"])
    assert sum(map(sum, metrics["confusion_matrix"])) == 32 and metrics["epochs"] == 8
    assert len((tmp_path / "run" / "history.jsonl").read_text().splitlines()) == 8
    weights = load_tensors(tmp_path / "run" / "checkpoints" / "last" / "model.safetensors")
    assert weights and all(torch.isfinite(t.float()).all() for t in weights.values())


def test_binary_run_with_binary256_uses_one_sigmoid_output(tmp_path: Path):
    splits = Splits(banded(48, 2, 0, 32, 3), banded(8, 2, 1, 32, 3), banded(16, 2, 2, 32, 3), "stratified")
    config = ClassifyConfig(data="folder", preset="binary256", image_size=32, epochs=6, batch_size=8, device="cpu",
                            augment="classic")  # fmt: skip
    metrics = train_classifier(config, tmp_path / "bin", splits=splits, progress_bar=False).metrics
    assert metrics["test_accuracy"] >= 0.8 and len(metrics["per_class"]) == 2
    model, _, names = load_classifier(tmp_path / "bin")
    assert model[-1].out_features == 1 and names == ["class0", "class1"]
    assert torch.equal(predict_labels(model, splits.test.images, torch.device("cpu")).bincount(minlength=2) > 0,
                       torch.tensor([True, True]))


def test_resume_after_an_interruption_gives_the_same_weights(tiny_splits: Splits, tmp_path: Path, monkeypatch):
    config = ClassifyConfig(preset="fmnist-cnn", epochs=3, batch_size=16, augment="classic", device="cpu")
    train_classifier(config, tmp_path / "straight", splits=tiny_splits, progress_bar=False)
    real_run_epoch, calls = train_module.run_epoch, []

    def interrupt_third_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_run_epoch(*args, **kwargs)

    monkeypatch.setattr(train_module, "run_epoch", interrupt_third_epoch)
    result = train_classifier(config, tmp_path / "resumed", splits=tiny_splits, progress_bar=False)
    assert result.interrupted and not (tmp_path / "resumed" / "metrics.json").exists()
    monkeypatch.setattr(train_module, "run_epoch", real_run_epoch)
    result = train_classifier(config, tmp_path / "resumed", splits=tiny_splits, progress_bar=False, resume=True)
    assert result.metrics["epochs"] == 3
    a = load_tensors(tmp_path / "straight" / "checkpoints" / "last" / "model.safetensors")
    b = load_tensors(tmp_path / "resumed" / "checkpoints" / "last" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_step_and_minute_budgets_stop_training(tiny_splits: Splits, tmp_path: Path):
    config = ClassifyConfig(preset="small-cnn", max_steps=5, batch_size=16, device="cpu")
    metrics = train_classifier(config, tmp_path / "steps", splits=tiny_splits, progress_bar=False).metrics
    assert metrics["steps"] == 5 and metrics["epochs"] == 2  # 4 steps per epoch: the budget ends epoch 2
    config = ClassifyConfig(preset="small-cnn", minutes=0.0005, batch_size=16, device="cpu")
    metrics = train_classifier(config, tmp_path / "minutes", splits=tiny_splits, progress_bar=False).metrics
    state = json.loads((tmp_path / "minutes" / "checkpoints" / "last" / "state.json").read_text())
    assert state["elapsed_s"] >= 0.03 and state["step"] == metrics["steps"] >= 1  # run/checkpoint.py's record


def test_one_cycle_warms_up_then_anneals():
    assert one_cycle_lr(0.0, 1.0) == pytest.approx(0.04)
    assert one_cycle_lr(0.2, 1.0) == pytest.approx(1.0)
    assert one_cycle_lr(1.0, 1.0) == pytest.approx(1e-4)


def test_bad_configs_and_folders_are_user_errors(tiny_splits: Splits, tmp_path: Path):
    with pytest.raises(UserError, match="Fashion-MNIST is 28x28 grayscale"):
        train_classifier(ClassifyConfig(channels=3), tmp_path / "a", splits=tiny_splits)
    with pytest.raises(UserError, match="--val-fraction must be between 0 and 1"):
        train_classifier(ClassifyConfig(val_fraction=1.0), tmp_path / "b", splits=tiny_splits)
    config = ClassifyConfig(preset="small-cnn", epochs=1, batch_size=16, device="cpu")
    train_classifier(config, tmp_path / "c", splits=tiny_splits, progress_bar=False)
    with pytest.raises(UserError, match="already holds a classifier run: pass --resume"):
        train_classifier(config, tmp_path / "c", splits=tiny_splits, progress_bar=False)
    with pytest.raises(UserError, match="--resume needs a classifier run with a checkpoint"):
        train_classifier(config, tmp_path / "d", splits=tiny_splits, resume=True)


def test_a_run_folder_in_the_earlier_checkpoint_layout_still_predicts_and_resumes(tiny_splits: Splits,
                                                                                  tmp_path: Path, monkeypatch):
    """Classifier runs from before the shared checkpoint format: files written in place, state.json of
    {"epoch", "step", "seconds"}, no checksums. Resuming one gives the weights of an uninterrupted run."""
    config = ClassifyConfig(preset="small-cnn", epochs=2, batch_size=16, device="cpu")
    train_classifier(config, tmp_path / "straight", splits=tiny_splits, progress_bar=False, plots=False)
    real_run_epoch, calls = train_module.run_epoch, []

    def interrupt_second_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_run_epoch(*args, **kwargs)

    monkeypatch.setattr(train_module, "run_epoch", interrupt_second_epoch)
    assert train_classifier(config, tmp_path / "old", splits=tiny_splits, progress_bar=False).interrupted
    monkeypatch.setattr(train_module, "run_epoch", real_run_epoch)
    last = tmp_path / "old" / "checkpoints" / "last"
    state = json.loads((last / "state.json").read_text())
    (last / "state.json").write_text(json.dumps({"epoch": state["epoch"], "step": state["step"],
                                                 "seconds": state["elapsed_s"]}))  # the earlier layout
    model, _, names = load_classifier(tmp_path / "old")
    assert names == tiny_splits.train.class_names and model.training is False
    result = train_classifier(config, tmp_path / "old", splits=tiny_splits, progress_bar=False, plots=False,
                              resume=True)
    assert result.metrics["epochs"] == 2
    a = load_tensors(tmp_path / "straight" / "checkpoints" / "last" / "model.safetensors")
    b = load_tensors(last / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert "files" in json.loads((last / "state.json").read_text())  # saved again in the checksummed format
