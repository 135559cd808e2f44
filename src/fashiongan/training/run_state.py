"""Setting up a run: its data, folder, optimizers, learning rate and resumable state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from fashiongan.config import RunConfig
from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.training.checkpoint import (
    DISCRIMINATOR_FILE,
    GENERATOR_FILE,
    TrainingProgress,
    load_progress,
    load_training_state,
    load_weights,
    restore_rng_state,
    rng_state,
)
from fashiongan.training.step import GANState


def load_training_data(config: RunConfig, data: ImageDataset | None = None) -> ImageDataset:
    """The training images (a seeded subset with --limit); sets the model's number of classes."""
    if data is None:
        from fashiongan.data.load import load_dataset

        data = load_dataset(config.data, "train")
    if (data.image_size, data.channels) != (config.data.image_size, config.data.channels):
        raise UserError(f"the data is {data.image_size} px with {data.channels} channels, but the config asks for "
                        f"{config.data.image_size} px with {config.data.channels}")
    if config.data.limit is not None:
        data = data.random_subset(config.data.limit, config.train.seed)
    config.model.num_classes = data.num_classes
    return data


def prepare_run_dir(run_dir: Path, config: RunConfig, resume: bool) -> None:
    """Create the run folder; refuse to train a new run over an existing one."""
    has_run = (run_dir / "checkpoints").exists() or (run_dir / "metrics.jsonl").exists()
    if resume and not has_run:
        raise UserError(f"--resume needs a run folder with a checkpoint; {run_dir} has none")
    if not resume and has_run:
        raise UserError(f"{run_dir} already holds a run: pass --resume to continue it, or choose another --out")
    (run_dir / "samples").mkdir(parents=True, exist_ok=True)


def make_optimizers(
    generator: nn.Module, discriminator: nn.Module, config: RunConfig
) -> tuple[torch.optim.Adam, torch.optim.Adam]:
    train = config.train
    betas = (train.beta1, train.beta2)
    return (
        torch.optim.Adam(generator.parameters(), lr=train.lr_g, betas=betas),
        torch.optim.Adam(discriminator.parameters(), lr=train.lr_d, betas=betas),
    )


def lr_factor(config: RunConfig, epoch: int) -> float:
    """Linear decay from 1 at the first epoch to ``lr_decay_floor`` at the last; 1 without decay."""
    train = config.train
    if train.lr_decay == "none" or train.epochs <= 1:
        return 1.0
    return 1.0 - (1.0 - train.lr_decay_floor) * min(epoch, train.epochs - 1) / (train.epochs - 1)


def set_epoch_lr(state: GANState, config: RunConfig, epoch: int) -> None:
    factor = lr_factor(config, epoch)
    for group in state.opt_g.param_groups:
        group["lr"] = config.train.lr_g * factor
    for group in state.opt_d.param_groups:
        group["lr"] = config.train.lr_d * factor


def training_state(state: GANState, shuffle_rng_state: torch.Tensor) -> dict[str, Any]:
    """What a checkpoint needs beyond the weights to resume exactly."""
    return {
        "opt_g": state.opt_g.state_dict(),
        "opt_d": state.opt_d.state_dict(),
        "rng": rng_state(),
        "shuffle_rng": shuffle_rng_state,
    }


def restore_from_checkpoint(folder: Path, state: GANState, shuffle_rng: torch.Generator) -> TrainingProgress:
    """Load weights, optimizer and RNG states from a checkpoint folder; return its progress."""
    load_weights(state.generator, folder / GENERATOR_FILE)
    load_weights(state.discriminator, folder / DISCRIMINATOR_FILE)
    saved = load_training_state(folder)
    try:
        state.opt_g.load_state_dict(saved["opt_g"])
        state.opt_d.load_state_dict(saved["opt_d"])
        restore_rng_state(saved["rng"])
        shuffle_rng.set_state(saved["shuffle_rng"])
    except (KeyError, ValueError, RuntimeError) as exc:
        raise UserError(f"checkpoint {folder} cannot be resumed ({type(exc).__name__}: {exc})") from None
    return load_progress(folder)


def fixed_grid_inputs(config: RunConfig) -> tuple[list[int], torch.Tensor | None, int]:
    """Seeds and labels of the progress grid: one row per class (same noise down each column), or 8×8."""
    if config.model.conditional:
        columns = 10
        num_classes = config.model.num_classes
        seeds = [col for _ in range(num_classes) for col in range(columns)]
        labels = torch.arange(num_classes).repeat_interleave(columns)
        return seeds, labels, columns
    return list(range(64)), None, 8
