"""Checkpoints: a small folder per checkpoint, swapped into place atomically.

    checkpoints/last/                  (and checkpoints/best/ when evaluation runs)
        generator.safetensors          sampling weights: all `generate` needs
        discriminator.safetensors
        training-state.pt              optimizer states and RNG states (loaded with weights_only=True)
        state.json                     epoch, step, class names, partial-epoch counters

A checkpoint is written whole into a hidden sibling folder, then renamed over the old one. If a
crash lands between the two renames, ``resolve_checkpoint`` finds the previous one under ``.NAME.old``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fashiongan.errors import UserError
from fashiongan.io import load_tensors, load_torch_state, read_json, save_tensors, save_torch_state, write_json

GENERATOR_FILE = "generator.safetensors"
DISCRIMINATOR_FILE = "discriminator.safetensors"
TRAINING_STATE_FILE = "training-state.pt"
STATE_FILE = "state.json"


@dataclass
class TrainingProgress:
    """Counters that say where training stands; JSON in state.json."""

    epoch: int = 0  # completed epochs
    step: int = 0  # completed optimizer steps (D+G pairs)
    batch_in_epoch: int = 0  # batches done in the current, unfinished epoch (after Ctrl-C)
    class_names: list[str] = field(default_factory=list)
    partial_sums: dict[str, float] = field(default_factory=dict)  # running sums of the unfinished epoch
    best_fid: float | None = None
    elapsed_s: float = 0.0


def save_checkpoint(
    folder: str | Path,
    generator: nn.Module,
    discriminator: nn.Module,
    training_state: dict[str, Any],
    progress: TrainingProgress,
) -> Path:
    """Write a complete checkpoint to ``folder`` atomically (never leaves a half-written one)."""
    folder = Path(folder)
    partial = folder.with_name(f".{folder.name}.partial")
    old = folder.with_name(f".{folder.name}.old")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    save_tensors(partial / GENERATOR_FILE, generator.state_dict())
    save_tensors(partial / DISCRIMINATOR_FILE, discriminator.state_dict())
    save_torch_state(partial / TRAINING_STATE_FILE, training_state)
    write_json(partial / STATE_FILE, asdict(progress))
    if folder.exists():
        if old.exists():
            shutil.rmtree(old)
        os.replace(folder, old)
    os.replace(partial, folder)
    if old.exists():
        shutil.rmtree(old)
    return folder


def resolve_checkpoint(run_dir: str | Path, name: str = "last") -> Path:
    """The folder of checkpoint ``name`` in a run, or a UserError saying what is missing."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"run folder not found: {run_dir}")
    folder = run_dir / "checkpoints" / name
    if not (folder / STATE_FILE).is_file():
        fallback = folder.with_name(f".{name}.old")  # a crash between the two renames of a save
        if (fallback / STATE_FILE).is_file():
            return fallback
        raise UserError(f"no {name!r} checkpoint in {run_dir} (expected {folder}/{STATE_FILE})")
    return folder


def load_progress(folder: str | Path) -> TrainingProgress:
    data = read_json(Path(folder) / STATE_FILE, "checkpoint state")
    try:
        return TrainingProgress(**data)
    except TypeError:
        raise UserError(f"checkpoint state {Path(folder) / STATE_FILE} has unexpected fields") from None


def load_weights(module: nn.Module, path: str | Path) -> None:
    """Load safetensors weights into ``module``, with a UserError when they do not fit."""
    tensors = load_tensors(path, "checkpoint weights")
    try:
        module.load_state_dict(tensors)
    except RuntimeError as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise UserError(f"weights {path} do not match the model in config.json ({first_line})") from None


def load_training_state(folder: str | Path) -> dict[str, Any]:
    return load_torch_state(Path(folder) / TRAINING_STATE_FILE, "checkpoint training state")


def rng_state() -> dict[str, Any]:
    """The global RNG states a resumed run must restore to draw the same noise."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
