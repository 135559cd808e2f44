"""Checkpoints: a small folder of named modules, swapped into place atomically.

    checkpoints/last/                  (and checkpoints/best/ when evaluation runs)
        generator.safetensors          one file per named module: generator, discriminator,
        generator_ema.safetensors      generator_ema, … whatever the training state registers
        training-state.pt              optimizer, scaler and RNG states (loaded with weights_only=True)
        state.json                     progress counters, class names, SHA-256 of every file above

A checkpoint is written whole into a hidden sibling folder, then renamed over the old one. If a crash
lands between the two renames, ``resolve_checkpoint`` finds the previous one under ``.NAME.old``.
Sampling needs only a weights file and state.json; resuming needs the rest (edm keeps the same split).
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from fashiongan.errors import UserError
from fashiongan.io import (
    load_tensors,
    load_torch_state,
    read_json,
    save_tensors,
    save_torch_state,
    sha256_file,
    write_json,
)

TRAINING_STATE_FILE = "training-state.pt"
STATE_FILE = "state.json"
WRAPPER_PREFIXES = ("_orig_mod.", "module.")  # torch.compile and DistributedDataParallel


@dataclass
class TrainingProgress:
    """Counters that say where training stands; JSON in state.json."""

    epoch: int = 0  # completed epochs
    step: int = 0  # completed optimizer steps (D+G pairs)
    batch_in_epoch: int = 0  # batches done in the current, unfinished epoch (after a stop)
    images_seen: int = 0  # real images shown to D so far
    class_names: list[str] = field(default_factory=list)
    partial_sums: dict[str, float] = field(default_factory=dict)  # running sums of the unfinished epoch
    best_fid: float | None = None
    best_holdout: float | None = None  # lowest held-out score so far (training/selection.py)
    stale_scores: int = 0  # held-out scores since the best one (--patience)
    next_select: int = 0  # images seen at which the next held-out score is due
    elapsed_s: float = 0.0  # training wall time spent (the --minutes budget counts this)
    modules: list[str] = field(default_factory=list)  # named modules saved in this checkpoint
    files: dict[str, str] = field(default_factory=dict)  # file name → SHA-256

    @classmethod
    def from_json(cls, data: Any, source: Path) -> TrainingProgress:
        """Checked field by field: a hand-edited or truncated state.json is a UserError, not a silent restart."""
        if not isinstance(data, dict):
            raise UserError(f"checkpoint state {source} must be a JSON object")
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise UserError(f"checkpoint state {source} has unexpected fields: {sorted(unknown)}")
        progress = cls(**{k: v for k, v in data.items()})
        for name in ("epoch", "step", "batch_in_epoch", "images_seen", "stale_scores", "next_select"):
            value = getattr(progress, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UserError(f"checkpoint state {source}: {name} must be a non-negative integer; got {value!r}")
        if "epoch" not in data or "step" not in data:
            raise UserError(f"checkpoint state {source} has no epoch/step counters")
        _check_list_of_str(progress.class_names, "class_names", source)
        _check_list_of_str(progress.modules, "modules", source)
        if not isinstance(progress.elapsed_s, (int, float)) or not math.isfinite(progress.elapsed_s) \
                or progress.elapsed_s < 0:
            raise UserError(f"checkpoint state {source}: elapsed_s must be a non-negative number")
        if not isinstance(progress.partial_sums, dict) or not all(
            isinstance(v, (int, float)) for v in progress.partial_sums.values()
        ):
            raise UserError(f"checkpoint state {source}: partial_sums must map names to numbers")
        if not isinstance(progress.files, dict) or not all(isinstance(v, str) for v in progress.files.values()):
            raise UserError(f"checkpoint state {source}: files must map file names to SHA-256 strings")
        for name in ("best_fid", "best_holdout"):
            value = getattr(progress, name)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                raise UserError(f"checkpoint state {source}: {name} must be a number or null")
        return progress


def _check_list_of_str(value: Any, name: str, source: Path) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"checkpoint state {source}: {name} must be a list of strings")


def weights_file(name: str) -> str:
    return f"{name}.safetensors"


def clean_state_dict(module: nn.Module) -> dict[str, Any]:
    """The module's state dict without torch.compile/DDP wrapper prefixes, so any process can load it."""
    return {strip_wrappers(k): v for k, v in module.state_dict().items()}


def strip_wrappers(key: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key, changed = key[len(prefix):], True
    return key.replace("._orig_mod.", ".")


def save_checkpoint(
    folder: str | Path, modules: dict[str, nn.Module], training_state: dict[str, Any], progress: TrainingProgress
) -> Path:
    """Write a complete checkpoint to ``folder`` atomically (never leaves a half-written one)."""
    folder = Path(folder)
    partial = folder.with_name(f".{folder.name}.partial")
    old = folder.with_name(f".{folder.name}.old")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    files = {}
    for name, module in modules.items():
        save_tensors(partial / weights_file(name), clean_state_dict(module))
        files[weights_file(name)] = sha256_file(partial / weights_file(name))
    save_torch_state(partial / TRAINING_STATE_FILE, training_state)
    files[TRAINING_STATE_FILE] = sha256_file(partial / TRAINING_STATE_FILE)
    record = asdict(progress) | {"modules": list(modules), "files": files}
    write_json(partial / STATE_FILE, record)
    if folder.exists():
        if old.exists():
            shutil.rmtree(old)
        os.replace(folder, old)
    os.replace(partial, folder)
    if old.exists():
        shutil.rmtree(old)
    return folder


def _usable(folder: Path) -> bool:
    try:
        load_progress(folder)
        return True
    except UserError:
        return False


def resolve_checkpoint(run_dir: str | Path, name: str = "last") -> Path:
    """The folder of checkpoint ``name`` in a run, or a UserError saying what is missing or broken.

    A crash between the two renames of a save leaves the previous checkpoint under ``.NAME.old``; a
    corrupt state.json falls back to it when it is whole.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"run folder not found: {run_dir}")
    folder = run_dir / "checkpoints" / name
    fallback = folder.with_name(f".{name}.old")
    if (folder / STATE_FILE).is_file():
        if _usable(folder) or not _usable(fallback):
            return folder
        return fallback
    if (fallback / STATE_FILE).is_file():
        return fallback
    raise UserError(f"no {name!r} checkpoint in {run_dir} (expected {folder}/{STATE_FILE})")


def load_progress(folder: str | Path) -> TrainingProgress:
    path = Path(folder) / STATE_FILE
    return TrainingProgress.from_json(read_json(path, "checkpoint state"), path)


def verify_file(folder: Path, file_name: str, progress: TrainingProgress) -> None:
    """Compare a file with the SHA-256 its checkpoint recorded (older checkpoints recorded none)."""
    expected = progress.files.get(file_name)
    if expected is not None and sha256_file(folder / file_name) != expected:
        raise UserError(f"{folder / file_name} does not match the checksum in its state.json: the file is "
                        "damaged; use another checkpoint (e.g. --checkpoint best) or retrain")


def load_module(module: nn.Module, folder: str | Path, name: str, progress: TrainingProgress | None = None) -> None:
    """Load the named module's weights (checksum-verified) into ``module``."""
    folder = Path(folder)
    progress = progress or load_progress(folder)
    path = folder / weights_file(name)
    if not path.is_file():
        raise UserError(f"checkpoint {folder} has no weights for {name!r} (expected {path})")
    verify_file(folder, weights_file(name), progress)
    load_weights(module, path)


def load_weights(module: nn.Module, path: str | Path, model: str = "the model in config.json",
                 what: str = "checkpoint weights") -> None:
    """Load a safetensors file into ``module``, tolerating wrapper prefixes; a mismatch names the first tensor.

    The one weights loader (run and model folders, classifier runs, evaluators); ``model`` says in an error
    what the file was meant for, ``what`` what the file is.
    """
    tensors = {strip_wrappers(k): v for k, v in load_tensors(path, what).items()}
    target = module._orig_mod if hasattr(module, "_orig_mod") else module
    target = target.module if isinstance(target, nn.parallel.DistributedDataParallel) else target
    expected = target.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        first = f"missing {missing[0]!r}" if missing else f"unexpected {unexpected[0]!r}"
        raise UserError(f"weights {path} do not match {model} ({first}; "
                        f"{len(missing)} missing, {len(unexpected)} unexpected tensors)")
    for key, value in tensors.items():
        if value.shape != expected[key].shape:
            raise UserError(f"weights {path} do not match {model}: {key!r} is "
                            f"{tuple(value.shape)} in the file but {tuple(expected[key].shape)} in the model")
    target.load_state_dict(tensors)


def has_module(folder: str | Path, name: str) -> bool:
    return (Path(folder) / weights_file(name)).is_file()


def load_training_state(folder: str | Path, progress: TrainingProgress | None = None) -> dict[str, Any]:
    folder = Path(folder)
    verify_file(folder, TRAINING_STATE_FILE, progress or load_progress(folder))
    state = load_torch_state(folder / TRAINING_STATE_FILE, "checkpoint training state")
    if not isinstance(state, dict):
        raise UserError(f"checkpoint training state {folder / TRAINING_STATE_FILE} is not a dictionary")
    return state


def describe_checkpoint(run_dir: str | Path, name: str) -> dict[str, Any]:
    """Which point of training a checkpoint holds and, for ``best``, what chose it (for every number from it)."""
    folder = resolve_checkpoint(run_dir, name)
    progress = load_progress(folder)
    facts: dict[str, Any] = {"step": progress.step, "images_seen": progress.images_seen, "epoch": progress.epoch}
    if name == "best" and progress.best_holdout is not None:
        facts["chosen_by"] = f"lowest held-out KID ({progress.best_holdout:.5g}) among the run's held-out scores"
    elif name == "best" and progress.best_fid is not None:
        facts["chosen_by"] = f"lowest in-training FID ({progress.best_fid:.4g}) on the evaluation reference split"
    return facts
