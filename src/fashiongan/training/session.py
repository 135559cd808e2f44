"""Everything one call of ``train`` shares, built in one place: ``Session.start``.

Starting a session loads the data, derives the number of classes from it (on a copy of the config),
prepares the run folder (refusing a resume that changes a fixed option), builds the training state,
restores it from the last checkpoint on resume, wraps it for data parallelism and writes config.json.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from fashiongan import distributed
from fashiongan.config import RunConfig
from fashiongan.data.batches import epoch_repeats, epoch_shard, place_images
from fashiongan.data.dataset import ImageDataset
from fashiongan.io import write_json
from fashiongan.run.checkpoint import TrainingProgress, resolve_checkpoint
from fashiongan.run.device import enable_fast_cuda, resolve_device, set_threads
from fashiongan.run.prepare import has_checkpoint
from fashiongan.training.data_parallel import LocalSync, RankSync, rank_sync, wrap_for_ranks
from fashiongan.training.init_from import freeze_discriminator, initialise_from, read_source, write_record
from fashiongan.training.run_state import (
    check_and_prepare_run_dir,
    data_record,
    load_training_data,
    restore_from_checkpoint,
    split_holdout,
    trim_metrics,
)
from fashiongan.training.selection import HoldoutScorer
from fashiongan.training.state import GANState, build_state
from fashiongan.training.stopping import Budget, StopSignals
from fashiongan.training.tracking import GridHealth, InTrainingEvaluator, Tensorboard

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    run_dir: Path
    epochs_done: int
    interrupted: bool = False
    records: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    stop_reason: str = "epochs"  # "epochs", "budget", "patience", or the signal's name (SIGINT, SIGTERM)


@dataclass
class Session:
    """What the loop's helpers share for one call of ``train``. Build it with ``Session.start``."""

    config: RunConfig  # the caller's config with model.num_classes derived from the data
    run_dir: Path
    state: GANState  # state.step is the one step counter; progress.step is written from it at each save
    progress: TrainingProgress
    images: torch.Tensor
    labels: torch.Tensor
    shuffle_rng: torch.Generator
    budget: Budget
    signals: StopSignals
    bar: tqdm
    evaluator: InTrainingEvaluator | None
    health: GridHealth | None
    tensorboard: Tensorboard | None
    on_step: Callable[[int], None] | None
    steps_per_epoch: int
    sync: RankSync | LocalSync  # what the ranks agree on after each step (this process alone: LocalSync)
    repeats: int = 1  # passes over the images in one epoch (train.epoch_images)
    scorer: HoldoutScorer | None = None  # held-out checkpoint choice (training/selection.py), rank 0
    out_of_patience: bool = False  # --patience: the held-out score stopped improving

    @property
    def device(self) -> torch.device:
        return self.state.recipe.device

    @property
    def world_size(self) -> int:
        return self.state.recipe.world_size

    @classmethod
    def start(cls, config: RunConfig, run_dir: Path, *, resume: bool, progress_bar: bool,
              on_step: Callable[[int], None] | None, data: ImageDataset | None,
              holdout: ImageDataset | None = None) -> Session:
        """Set up a run (see the module docstring); every rank calls this, rank 0 alone writes files."""
        device = distributed.init(resolve_device(config.train.device))
        enable_fast_cuda(device)  # TF32 and cuDNN autotuning; nothing on the CPU
        if config.train.threads:
            set_threads(config.train.threads)
        given = data
        data = distributed.main_first(lambda: load_training_data(config, given))  # rank 0 fills any data cache
        config = config.with_num_classes(data.num_classes)
        data, holdout = split_holdout(config, data, holdout)
        evaluator = distributed.main_only(lambda: InTrainingEvaluator.maybe(config, device))  # fail fast
        prepared = distributed.main_only(lambda: check_and_prepare_run_dir(run_dir, resume, config))
        resumable = prepared or has_checkpoint(run_dir)
        state = build_state(config, device)
        shuffle_rng = torch.Generator().manual_seed(config.train.seed)
        progress = start_networks(config, state, run_dir, resume and resumable, shuffle_rng, list(data.class_names),
                                  (data.images, data.labels))
        wrap_for_ranks(state, config)
        if distributed.is_main():
            write_json(run_dir / "config.json", config.to_dict())
            write_json(run_dir / "data.json", data_record(data, holdout))
        images = place_images(data.images, device)
        repeats = epoch_repeats(len(data), config.train.epoch_images)
        steps_per_epoch = len(epoch_shard(len(data) * repeats, config.train.batch_size, torch.Generator(),
                                          state.recipe.rank, state.recipe.world_size))
        epochs = config.epochs_or_default()
        bar = tqdm(total=epochs * steps_per_epoch if epochs else None, initial=state.step, unit="step",
                   disable=not progress_bar or not distributed.is_main(), dynamic_ncols=True)
        session = cls(config, run_dir, state, progress, images, data.labels.to(images.device), shuffle_rng,
                      Budget(config.train.seconds, progress.elapsed_s), StopSignals(), bar, evaluator,
                      distributed.main_only(lambda: GridHealth.maybe(config, device)),
                      distributed.main_only(lambda: Tensorboard.maybe(config, run_dir)), on_step, steps_per_epoch,
                      rank_sync(progress.elapsed_s), repeats,
                      distributed.main_only(lambda: HoldoutScorer.maybe(config, data, holdout, device)))
        ranks = f" × {session.world_size} ranks" if session.world_size > 1 else ""
        log.info("training on %d images (%d classes) on %s%s; run folder %s", len(data), data.num_classes, device,
                 ranks, run_dir)
        return session

    def close(self) -> None:
        self.bar.close()
        if self.tensorboard:
            self.tensorboard.close()


def start_networks(config: RunConfig, state: GANState, run_dir: Path, resume: bool, shuffle_rng: torch.Generator,
                   class_names: list[str], probe: tuple[torch.Tensor, torch.Tensor]) -> TrainingProgress:
    """Weights to start from: the run's last checkpoint, another run's (--init-from), or fresh; then FreezeD."""
    progress = TrainingProgress(class_names=class_names)
    if resume:
        progress = restore_from_checkpoint(resolve_checkpoint(run_dir, "last"), state, shuffle_rng)
        if distributed.is_main():
            trim_metrics(run_dir, progress.epoch)
    elif config.train.init_from:
        record = initialise_from(read_source(config.train.init_from), state.modules(), class_names,
                                 config.model.conditional, config.train.init_start, probe)
        distributed.main_only(lambda: write_record(run_dir, record))
    if config.train.freeze_d:
        freeze_discriminator(getattr(state.discriminator, "_orig_mod", state.discriminator), config.train.freeze_d)
    return progress
