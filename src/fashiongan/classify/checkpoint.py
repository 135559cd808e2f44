"""A classifier checkpoint: weights in safetensors, optimizer and RNG state (weights_only), counters in JSON.

RUN_DIR/checkpoints/last/ holds model.safetensors (all that predict needs), training-state.pt and
state.json; each file is written atomically, state.json last, so a crash leaves a loadable checkpoint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from fashiongan.classify.config import ClassifyConfig
from fashiongan.errors import UserError
from fashiongan.io import load_tensors, load_torch_state, read_json, save_tensors, save_torch_state, write_json

MODEL_FILE = "model.safetensors"


@dataclass
class Progress:
    """Counters saved with each checkpoint (an exact resume also restores the RNG states)."""

    epoch: int = 0
    step: int = 0
    seconds: float = 0.0  # training seconds so far (the budget of --minutes)


def load_run(run_dir: str | Path) -> tuple[ClassifyConfig, list[str]]:
    """A classifier run's config and class names, from RUN_DIR/config.json."""
    saved = read_json(Path(run_dir) / "config.json", "classifier run config")
    if not isinstance(saved, dict) or "classify" not in saved:
        raise UserError(f"{run_dir} is not a classifier run (made by `fashiongan classify train`)")
    return ClassifyConfig.from_dict(saved["classify"]), list(saved["class_names"])


def checkpoint_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "checkpoints" / "last"


def save_checkpoint(run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer, shuffle_rng: torch.Generator,
                    augment_rng: torch.Generator, progress: Progress) -> None:
    folder = checkpoint_dir(run_dir)
    save_tensors(folder / MODEL_FILE, model.state_dict())
    save_torch_state(folder / "training-state.pt", {
        "optimizer": optimizer.state_dict(),
        "shuffle_rng": shuffle_rng.get_state(),
        "augment_rng": augment_rng.get_state(),
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


def load_checkpoint(run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer, shuffle_rng: torch.Generator,
                    augment_rng: torch.Generator) -> Progress:
    """Restore weights, optimizer and RNG states from the last checkpoint; returns the saved counters."""
    folder = checkpoint_dir(run_dir)
    counters = read_json(folder / "state.json", "checkpoint state")
    load_weights(model, run_dir)
    state = load_torch_state(folder / "training-state.pt", "classifier training state")
    optimizer.load_state_dict(state["optimizer"])
    shuffle_rng.set_state(state["shuffle_rng"])
    augment_rng.set_state(state["augment_rng"])
    torch.set_rng_state(state["torch_rng"])
    return Progress(**counters)
