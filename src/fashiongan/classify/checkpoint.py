"""A classifier run's folder: its config.json, and its checkpoint in the run-folder layer's format.

RUN_DIR/checkpoints/last/ is written by run/checkpoint.py, as the GAN's is: model.safetensors (all that
predict needs), training-state.pt (optimizer and RNG states, loaded with weights_only) and state.json
(counters and the SHA-256 of each file), written into a hidden folder and swapped into place.

Runs written before that format (files written in place, a state.json of {"epoch", "step", "seconds"} and
no checksums) still predict and resume: ``read_progress`` reads their state.json.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fashiongan.classify.config import ClassifyConfig
from fashiongan.errors import UserError
from fashiongan.io import read_json
from fashiongan.option import options_of
from fashiongan.run.checkpoint import (
    STATE_FILE,
    TrainingProgress,
    load_module,
    load_progress,
    load_training_state,
    resolve_checkpoint,
)
from fashiongan.run.checkpoint import (
    save_checkpoint as save_checkpoint_folder,
)
from fashiongan.validation import Rule, check_object

MODULE = "model"  # the one named module: checkpoints/last/model.safetensors
LEGACY_STATE_KEYS = {"epoch", "step", "seconds"}  # state.json of classifier runs before the shared format


@dataclass
class Progress:
    """Counters saved with each checkpoint (an exact resume also restores the RNG states)."""

    epoch: int = 0
    step: int = 0
    seconds: float = 0.0  # training seconds so far (the budget of --minutes)


# what each key of a classifier run's config.json accepts: the option declarations themselves, so a file
# accepts exactly what the flags accept (a new option or choice needs no second list here)
CLASSIFY_RULES = {key: Rule.from_field(f, hint) for key, f, hint in options_of(ClassifyConfig)}


def check_classifier_run(saved: Any, path: Path) -> dict[str, Any]:
    """A classifier run's config.json: {"classify": {...options}, "class_names": [...]}, every option in range."""
    rules = {"classify": Rule(dict), "class_names": Rule(list, items=str, unique=True, min_items=1)}
    check_object(saved, rules, path, required=("classify", "class_names"),
                 what="a classifier run made by `fashiongan classify train`")
    check_object(saved["classify"], CLASSIFY_RULES, f"{path}: classify")
    return saved


def load_run(run_dir: str | Path) -> tuple[ClassifyConfig, list[str]]:
    """A classifier run's config and class names, from RUN_DIR/config.json."""
    saved = read_json(Path(run_dir) / "config.json", "classifier run config")
    if not isinstance(saved, dict) or "classify" not in saved:
        raise UserError(f"{run_dir} is not a classifier run (made by `fashiongan classify train`)")
    path = Path(run_dir) / "config.json"
    check_classifier_run(saved, path)
    try:
        return ClassifyConfig.from_dict(saved["classify"]), list(saved["class_names"])
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None


def checkpoint_dir(run_dir: str | Path) -> Path:
    """The folder of the run's last checkpoint (a whole earlier one if a crash broke the last swap)."""
    return resolve_checkpoint(run_dir, "last")


def read_progress(folder: Path) -> TrainingProgress:
    """A checkpoint's state.json: the shared format, or the classifier's earlier {"epoch", "step", "seconds"}."""
    data = read_json(folder / STATE_FILE, "checkpoint state")
    if not (isinstance(data, dict) and set(data) == LEGACY_STATE_KEYS):
        return load_progress(folder)
    counts = [data["epoch"], data["step"]]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts) \
            or not isinstance(data["seconds"], (int, float)) or not math.isfinite(data["seconds"]):
        raise UserError(f"checkpoint state {folder / STATE_FILE}: epoch, step and seconds must be counts")
    return TrainingProgress(epoch=data["epoch"], step=data["step"], elapsed_s=float(data["seconds"]))


def save_checkpoint(run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer, shuffle_rng: torch.Generator,
                    augment_rng: torch.Generator, progress: Progress, class_names: list[str]) -> None:
    """Write RUN_DIR/checkpoints/last atomically (run/checkpoint.py), replacing the previous one."""
    training_state = {
        "optimizer": optimizer.state_dict(),
        "shuffle_rng": shuffle_rng.get_state(),
        "augment_rng": augment_rng.get_state(),
        "torch_rng": torch.get_rng_state(),  # dropout draws from the global generator
    }
    record = TrainingProgress(epoch=progress.epoch, step=progress.step, elapsed_s=progress.seconds,
                              class_names=list(class_names))
    save_checkpoint_folder(Path(run_dir) / "checkpoints" / "last", {MODULE: model}, training_state, record)


def load_classifier_weights(model: nn.Module, run_dir: str | Path) -> None:
    """Load the last checkpoint's weights into ``model`` (checksum-verified; a UserError if they do not fit)."""
    folder = checkpoint_dir(run_dir)
    load_module(model, folder, MODULE, read_progress(folder))


def load_checkpoint(run_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer, shuffle_rng: torch.Generator,
                    augment_rng: torch.Generator) -> Progress:
    """Restore weights, optimizer and RNG states from the last checkpoint; returns the saved counters."""
    folder = checkpoint_dir(run_dir)
    progress = read_progress(folder)
    load_module(model, folder, MODULE, progress)
    state: dict[str, Any] = load_training_state(folder, progress)
    try:
        optimizer.load_state_dict(state["optimizer"])
        shuffle_rng.set_state(state["shuffle_rng"])
        augment_rng.set_state(state["augment_rng"])
        torch.set_rng_state(state["torch_rng"])
    except (KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise UserError(f"checkpoint {folder} cannot be resumed ({type(exc).__name__}: {exc})") from None
    return Progress(progress.epoch, progress.step, progress.elapsed_s)
