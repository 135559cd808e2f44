"""A classifier checkpoint: weights in safetensors, optimizer and RNG state (weights_only), counters in JSON.

RUN_DIR/checkpoints/last/ holds model.safetensors (all that predict needs), training-state.pt and
state.json; each file is written atomically, state.json last, so a crash leaves a loadable checkpoint.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from fashiongan.errors import UserError
from fashiongan.io import load_tensors, load_torch_state, read_json, save_tensors, save_torch_state, write_json

if TYPE_CHECKING:
    from fashiongan.classify.train import Loop, Progress

MODEL_FILE = "model.safetensors"


def checkpoint_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "checkpoints" / "last"


def save_checkpoint(run_dir: Path, loop: Loop, progress: Progress) -> None:
    folder = checkpoint_dir(run_dir)
    save_tensors(folder / MODEL_FILE, loop.model.state_dict())
    save_torch_state(folder / "training-state.pt", {
        "optimizer": loop.optimizer.state_dict(),
        "shuffle_rng": loop.shuffle_rng.get_state(),
        "augment_rng": loop.augment_rng.get_state(),
        "torch_rng": torch.get_rng_state(),  # dropout draws from the global generator
    })  # fmt: skip
    write_json(folder / "state.json", dataclasses.asdict(progress))


def load_weights(model: nn.Module, run_dir: str | Path) -> None:
    """Load the last checkpoint's weights into ``model`` (a UserError if they do not fit)."""
    path = checkpoint_dir(run_dir) / MODEL_FILE
    tensors = load_tensors(path, "classifier weights")
    try:
        model.load_state_dict(tensors)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise UserError(f"{path} does not fit the model in config.json ({first})") from None


def load_checkpoint(run_dir: Path, loop: Loop) -> Progress:
    """Restore weights, optimizer and RNG states from the last checkpoint; returns the saved counters."""
    from fashiongan.classify.train import Progress

    folder = checkpoint_dir(run_dir)
    counters = read_json(folder / "state.json", "checkpoint state")
    load_weights(loop.model, run_dir)
    state = load_torch_state(folder / "training-state.pt", "classifier training state")
    loop.optimizer.load_state_dict(state["optimizer"])
    loop.shuffle_rng.set_state(state["shuffle_rng"])
    loop.augment_rng.set_state(state["augment_rng"])
    torch.set_rng_state(state["torch_rng"])
    return Progress(**counters)
