"""The training loop on tiny data: outputs, exact resume, Ctrl-C, NaN handling."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pytest
import torch

from fashiongan.cli import main
from fashiongan.errors import UserError
from fashiongan.io import load_tensors, read_jsonl
from fashiongan.training.loop import train

from .conftest import tiny_config


def weights(run_dir: Path, name: str = "generator") -> dict[str, torch.Tensor]:
    return load_tensors(run_dir / "checkpoints" / "last" / f"{name}.safetensors")


def assert_same_weights(a: Path, b: Path) -> None:
    for name in ("generator", "discriminator"):
        wa, wb = weights(a, name), weights(b, name)
        assert wa.keys() == wb.keys()
        for key in wa:
            assert torch.equal(wa[key], wb[key]), f"{name}.{key} differs"


def test_training_leaves_a_complete_run_folder(tmp_path: Path, tiny_data):
    result = train(tiny_config(), tmp_path / "run", data=tiny_data, progress_bar=False)
    run = tmp_path / "run"
    assert result.epochs_done == 2 and not result.interrupted
    records = read_jsonl(run / "metrics.jsonl")
    assert [r["epoch"] for r in records] == [1, 2]
    for key in ("d_loss", "g_loss", "d_acc_real", "d_acc_fake", "images_per_s"):
        assert all(key in r for r in records)
    assert 0 <= records[-1]["d_acc_fake"] <= 1
    for name in ("config.json", "losses.png", "accuracy.png", "progress.gif", "samples/epoch_0001.png",
                 "samples/epoch_0002.png", "checkpoints/last/generator.safetensors"):
        assert (run / name).is_file(), name
    saved = json.loads((run / "config.json").read_text())
    assert saved["model"]["num_classes"] == 4 and saved["train"]["epochs"] == 2


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path: Path, tiny_data):
    train(tiny_config(**{"train.epochs": 3}), tmp_path / "straight", data=tiny_data, progress_bar=False)
    train(tiny_config(**{"train.epochs": 1}), tmp_path / "resumed", data=tiny_data, progress_bar=False)
    result = train(tiny_config(**{"train.epochs": 3}), tmp_path / "resumed", data=tiny_data, resume=True,
                   progress_bar=False)
    assert result.epochs_done == 3
    assert_same_weights(tmp_path / "straight", tmp_path / "resumed")
    assert [r["epoch"] for r in read_jsonl(tmp_path / "resumed" / "metrics.jsonl")] == [1, 2, 3]


def test_ctrl_c_mid_epoch_saves_and_resume_continues_exactly(tmp_path: Path, tiny_data):
    train(tiny_config(), tmp_path / "straight", data=tiny_data, progress_bar=False)

    def interrupt_at_step_three(step: int) -> None:
        if step == 3:  # the first step of epoch 2 has run
            signal.raise_signal(signal.SIGINT)

    result = train(tiny_config(), tmp_path / "cut", data=tiny_data, progress_bar=False,
                   on_step=interrupt_at_step_three)
    assert result.interrupted and result.epochs_done == 1
    state = json.loads((tmp_path / "cut" / "checkpoints" / "last" / "state.json").read_text())
    assert state["step"] == 3 and state["batch_in_epoch"] == 1
    train(tiny_config(), tmp_path / "cut", data=tiny_data, resume=True, progress_bar=False)
    assert_same_weights(tmp_path / "straight", tmp_path / "cut")
    records = read_jsonl(tmp_path / "cut" / "metrics.jsonl")
    straight = read_jsonl(tmp_path / "straight" / "metrics.jsonl")
    assert records[-1]["d_loss"] == pytest.approx(straight[-1]["d_loss"], rel=1e-9)


def test_nan_loss_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path: Path, tiny_data, monkeypatch):
    from fashiongan.training import loop

    real_step = loop.train_step

    def poisoned_step(state, real, *args, **kwargs):
        stats = real_step(state, real, *args, **kwargs)
        if loop_steps["n"] >= 2:  # epoch 1 (2 steps) is fine, then the loss explodes
            stats["d_loss"] = torch.tensor(float("nan"))
        loop_steps["n"] += 1
        return stats

    loop_steps = {"n": 0}
    monkeypatch.setattr(loop, "train_step", poisoned_step)
    with pytest.raises(UserError, match="NaN or infinite"):
        train(tiny_config(**{"train.epochs": 3}), tmp_path / "run", data=tiny_data, progress_bar=False)
    state = json.loads((tmp_path / "run" / "checkpoints" / "last" / "state.json").read_text())
    assert state["epoch"] == 1


def test_a_new_run_refuses_to_overwrite_an_old_one(tmp_path: Path, tiny_data):
    train(tiny_config(**{"train.epochs": 1}), tmp_path / "run", data=tiny_data, progress_bar=False)
    with pytest.raises(UserError, match="already holds a run"):
        train(tiny_config(), tmp_path / "run", data=tiny_data, progress_bar=False)
    result = train(tiny_config(**{"train.epochs": 1}), tmp_path / "empty", data=tiny_data, resume=True,
                   progress_bar=False)  # --resume on a run with no checkpoint yet starts it
    assert result.epochs_done == 1


def test_the_python_api_refuses_to_resume_with_a_changed_fixed_option(tmp_path: Path, tiny_data):
    config = tiny_config(**{"train.epochs": 1})
    train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    assert config.model.num_classes == 10  # derived from the data into the run's copy, not the caller's config
    before = (tmp_path / "run" / "config.json").read_text()
    with pytest.raises(UserError, match="--resume: --batch-size was 16 in this run and cannot change to 8"):
        train(tiny_config(**{"train.batch_size": 8}), tmp_path / "run", data=tiny_data, resume=True,
              progress_bar=False)
    assert (tmp_path / "run" / "config.json").read_text() == before
    result = train(tiny_config(**{"train.epochs": 2}), tmp_path / "run", data=tiny_data, resume=True,
                   progress_bar=False)  # epochs are not fixed: the run continues
    assert result.epochs_done == 2


def test_a_run_that_died_before_its_first_checkpoint_can_start_again(tmp_path: Path, tiny_data):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "metrics.jsonl").write_text('{"epoch": 1}\n')
    result = train(tiny_config(**{"train.epochs": 1}), run, data=tiny_data, progress_bar=False)
    assert result.epochs_done == 1
    assert (run / "metrics.jsonl.stale").read_text() == '{"epoch": 1}\n'  # moved aside, not deleted
    assert [r["epoch"] for r in read_jsonl(run / "metrics.jsonl")] == [1]


def test_a_time_budget_stops_training_and_is_kept_across_resume(tmp_path: Path, tiny_data):
    config = tiny_config(**{"train.epochs": None, "train.seconds": 0.3, "train.lr_schedule": "linear",
                            "train.ema_kimg": 0.1})
    first = train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    assert first.stop_reason == "budget" and first.epochs_done >= 1
    state = json.loads((tmp_path / "run" / "checkpoints" / "last" / "state.json").read_text())
    assert 0.3 <= state["elapsed_s"] < 5
    assert "generator_ema" in state["modules"]
    records = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert records[-1]["lr_g"] < 2e-4  # the linear schedule follows the budget
    again = train(config, tmp_path / "run", data=tiny_data, resume=True, progress_bar=False)
    assert again.epochs_done == first.epochs_done  # budget already spent: nothing more
    longer = tiny_config(**{"train.epochs": None, "train.seconds": state["elapsed_s"] + 0.3,
                            "train.lr_schedule": "linear", "train.ema_kimg": 0.1})
    more = train(longer, tmp_path / "run", data=tiny_data, resume=True, progress_bar=False)
    assert more.epochs_done > first.epochs_done


def test_data_of_the_wrong_size_is_refused(tmp_path: Path, tiny_data):
    config = tiny_config(**{"data.source": "folder", "data.image_size": 32})
    with pytest.raises(UserError, match="the data is 28 px"):
        train(config, tmp_path / "run", data=tiny_data, progress_bar=False)


def test_unconditional_mlp_training_runs(tmp_path: Path, tiny_data):
    config = tiny_config(**{"model.conditional": False, "model.discriminator": "mlp", "model.mlp_hidden": 32,
                            "train.epochs": 1, "train.lr_schedule": "linear"})
    result = train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    assert result.epochs_done == 1 and (tmp_path / "run" / "samples" / "epoch_0001.png").is_file()


def test_eval_every_logs_fid_and_keeps_the_best_checkpoint(tmp_path: Path):
    """--eval-every on a tiny real Fashion-MNIST subset, scored by a (randomly initialised) evaluator."""
    from fashiongan.data.fashion_mnist import load_fashion_mnist, locate_fashion_mnist
    from tests.evaluation.helpers import save_random_evaluator

    if locate_fashion_mnist() is None:
        pytest.skip("Fashion-MNIST files not found")
    evaluator_path = save_random_evaluator(tmp_path / "evaluator.safetensors")
    data = load_fashion_mnist("train").random_subset(64, seed=0)
    config = tiny_config(**{"train.epochs": 2, "train.eval_every": 1, "train.eval_n": 200,
                            "train.evaluator": str(evaluator_path)})
    train(config, tmp_path / "run", data=data, progress_bar=False)
    records = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert all(r["fid"] > 0 and 0 <= r["class_accuracy"] <= 1 for r in records)
    assert all(0 <= r["grid_class_accuracy"] <= 1 and sum(r["grid_class_histogram"]) == 100 for r in records)
    assert all(-1 <= r["d_real_sign"] <= 1 for r in records)
    assert (tmp_path / "run" / "checkpoints" / "best" / "generator.safetensors").is_file()
    assert (tmp_path / "run" / "fid.png").is_file()
    best = json.loads((tmp_path / "run" / "checkpoints" / "best" / "state.json").read_text())
    assert best["best_fid"] == min(r["fid"] for r in records)


def test_eval_every_on_a_folder_needs_an_evaluator(tmp_path: Path, tiny_data):
    config = tiny_config(**{"data.source": "folder", "train.eval_every": 1})
    with pytest.raises(UserError, match="needs --evaluator PATH"):
        train(config, tmp_path / "run", data=tiny_data, progress_bar=False)


def test_tensorboard_logs_scalars_or_says_how_to_install_it(tmp_path: Path, tiny_data):
    import importlib.util

    config = tiny_config(**{"train.epochs": 1, "train.tensorboard": True})
    if importlib.util.find_spec("tensorboard") is None:
        with pytest.raises(UserError, match=r"pip install 'fashiongan\[tensorboard\]'"):
            train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    else:
        train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
        assert any((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))


def test_the_modern_engine_trains_through_the_loop_and_samples_from_its_ema(tmp_path: Path, tiny_data):
    from fashiongan.generate import generate

    config = tiny_config(**{"model.generator": "cbn", "model.discriminator": "sn", "train.loss": "rpgan",
                            "train.r1_gamma": 0.1, "train.r2_gamma": 0.1, "train.penalty_every": 2,
                            "train.aux_weight": 0.3, "train.ema_kimg": 0.05, "train.augment": "translation,cutout",
                            "train.blend_start": 0.0, "train.blend_end": 0.5, "train.lr_schedule": "cosine",
                            "train.precision": "bf16", "train.channels_last": True})
    result = train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    assert result.epochs_done == 2
    state = json.loads((tmp_path / "run" / "checkpoints" / "last" / "state.json").read_text())
    assert state["modules"] == ["generator", "discriminator", "generator_ema"]
    record = read_jsonl(tmp_path / "run" / "metrics.jsonl")[-1]
    assert "penalty_r1" in record and "g_class_loss" in record
    samples = generate(tmp_path / "run", n=8, device="cpu")
    assert samples.images.shape == (8, 1, 28, 28)
    raw = generate(tmp_path / "run", n=8, device="cpu", module="generator")
    assert not torch.equal(raw.images, samples.images)  # the EMA copy samples by default, the raw one on request
    assert main(["generate", str(tmp_path / "run"), "--raw", "--n", "8", "--device", "cpu",
                 "--out", str(tmp_path / "raw.npz")]) == 0
    assert np.array_equal(np.load(tmp_path / "raw.npz")["images"], raw.images[:, 0].numpy())


def test_sparse_checkpoints_resume_without_doubling_epochs(tmp_path: Path, tiny_data):
    config = tiny_config(**{"train.epochs": 3, "train.checkpoint_every": 2})
    train(config, tmp_path / "run", data=tiny_data, progress_bar=False)
    state = json.loads((tmp_path / "run" / "checkpoints" / "last" / "state.json").read_text())
    assert state["epoch"] == 3  # the last epoch always saves
    # a run killed after epoch 3's row but with only epoch 2's checkpoint: the row of epoch 3 is trained again
    records = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    train(tiny_config(**{"train.epochs": 2}), tmp_path / "two", data=tiny_data, progress_bar=False)
    with (tmp_path / "two" / "metrics.jsonl").open("a") as f:
        f.write(json.dumps(records[-1]) + "\n")
    train(tiny_config(**{"train.epochs": 3}), tmp_path / "two", data=tiny_data, resume=True, progress_bar=False)
    assert [r["epoch"] for r in read_jsonl(tmp_path / "two" / "metrics.jsonl")] == [1, 2, 3]
