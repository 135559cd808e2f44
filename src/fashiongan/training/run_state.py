"""Setting up a run: its data, folder, resumable state and fixed-noise grid inputs."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import torch

from fashiongan import distributed
from fashiongan.config import RunConfig, check_resume
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.splits import hold_out, per_class_subset
from fashiongan.errors import UserError
from fashiongan.io import atomic_write_text, read_jsonl
from fashiongan.run.checkpoint import (
    TrainingProgress,
    has_module,
    load_module,
    load_progress,
    load_training_state,
)
from fashiongan.run.folder import load_run_config, trained_world_size
from fashiongan.run.prepare import prepare_run_dir
from fashiongan.training.state import GANState

log = logging.getLogger(__name__)
LEGACY_OPTIMIZER_KEYS = {"generator": "opt_g", "discriminator": "opt_d"}  # checkpoints of version 0.1


def load_training_data(config: RunConfig, data: ImageDataset | None = None) -> ImageDataset:
    """The training images (a seeded subset with --limit); the config's number of classes is left alone."""
    if data is None:
        from fashiongan.data.load import load_dataset

        data = load_dataset(config.data, "train")
    if (data.image_size, data.channels) != (config.data.image_size, config.data.channels):
        raise UserError(f"the data is {data.image_size} px with {data.channels} channels, but the config asks for "
                        f"{config.data.image_size} px with {config.data.channels}")
    if config.data.per_class is not None:
        data = per_class_subset(data, config.data.per_class, config.train.seed)
    if config.data.limit is not None:
        data = data.random_subset(config.data.limit, config.train.seed)
    return data


def check_and_prepare_run_dir(run_dir: Path, resume: bool, config: RunConfig) -> bool:
    """The run folder (run/prepare.py); on resume, ``config`` must keep the saved fixed options first."""
    if resume and (run_dir / "config.json").is_file():
        saved = load_run_config(run_dir)
        check_resume(saved, config, distributed.world_size(), trained_world_size(run_dir, saved))
    return prepare_run_dir(run_dir, resume, subfolders=("samples",))


def split_holdout(config: RunConfig, data: ImageDataset, holdout: ImageDataset | None) -> tuple[
        ImageDataset, ImageDataset | None]:
    """(training images, held-out images): ``holdout`` when given, else ``--holdout`` per class carved out."""
    if holdout is not None or config.data.holdout_per_class == 0:
        return data, holdout
    return hold_out(data, config.data.holdout_per_class, config.train.seed)


def data_record(data: ImageDataset, holdout: ImageDataset | None) -> dict[str, Any]:
    """``data.json``: how many images of each class the run trains on and holds out, and a digest of them."""
    digest = hashlib.sha256(data.images.numpy().tobytes()).hexdigest()[:16]
    record: dict[str, Any] = {"images": len(data), "class_names": list(data.class_names),
                              "per_class": torch.bincount(data.labels, minlength=data.num_classes).tolist(),
                              "images_sha256": digest}
    if holdout is not None:
        record["holdout_per_class"] = torch.bincount(holdout.labels, minlength=holdout.num_classes).tolist()
    return record


def rng_state() -> dict[str, Any]:
    """The global RNG states (weight init aside, nothing else draws from them; kept for exactness)."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def training_state(state: GANState, shuffle_rng_state: torch.Tensor) -> dict[str, Any]:
    """What a checkpoint needs beyond the weights to resume exactly."""
    return {
        "optimizers": {name: opt.state_dict() for name, opt in state.optimizers().items()},
        "rng": rng_state(),
        "noise_rng": state.noise.get_state(),
        "shuffle_rng": shuffle_rng_state,
    } | ({"ada": state.ada.state_dict()} if state.ada is not None else {})


def restore_from_checkpoint(folder: Path, state: GANState, shuffle_rng: torch.Generator) -> TrainingProgress:
    """Load every named module, optimizer and RNG state from a checkpoint folder; return its progress."""
    progress = load_progress(folder)
    for name, module in state.modules().items():
        if name == "generator_ema" and not has_module(folder, name):
            load_module(module, folder, "generator", progress)  # EMA switched on at resume: start from G
            continue
        load_module(module, folder, name, progress)
    saved = load_training_state(folder, progress)
    try:
        optimizers = saved.get("optimizers") or {k: saved[v] for k, v in LEGACY_OPTIMIZER_KEYS.items()}
        for name, optimizer in state.optimizers().items():
            optimizer.load_state_dict(optimizers[name])
        torch.set_rng_state(saved["rng"]["torch"])
        if "cuda" in saved["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(saved["rng"]["cuda"])
        if "noise_rng" in saved:
            state.noise.set_state(saved["noise_rng"])
        shuffle_rng.set_state(saved["shuffle_rng"])
        if state.ada is not None and "ada" in saved:  # absent: --augment ada switched on at resume
            state.ada.load_state_dict(saved["ada"])
    except (KeyError, ValueError, RuntimeError, TypeError, AttributeError) as exc:
        raise UserError(f"checkpoint {folder} cannot be resumed ({type(exc).__name__}: {exc})") from None
    state.step = progress.step
    return progress


def trim_metrics(run_dir: Path, epoch: int) -> None:
    """Drop metrics rows of epochs after the checkpoint being resumed (they will be trained again).

    Rows past the checkpoint exist when checkpoints are sparser than epochs (``checkpoint_every``) and the
    run was killed in between; keeping them would record those epochs twice.
    """
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return
    records = read_jsonl(path)
    kept = [r for r in records if not isinstance(r.get("epoch"), int) or r["epoch"] <= epoch]
    if len(kept) != len(records):
        log.warning("resuming at epoch %d: dropping %d metrics rows of later epochs", epoch, len(records) - len(kept))
        atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in kept))


def fixed_grid_inputs(config: RunConfig) -> tuple[list[int], torch.Tensor | None, int]:
    """Seeds and labels of the progress grid: one row per class (same noise down each column), or 8×8."""
    if config.model.conditional:
        columns = 10
        num_classes = config.model.num_classes
        seeds = [col for _ in range(num_classes) for col in range(columns)]
        labels = torch.arange(num_classes).repeat_interleave(columns)
        return seeds, labels, columns
    return list(range(64)), None, 8
