"""train(config, run_dir): epochs, logging, sample grids, checkpoints, resume, evaluation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from fashiongan.config import RunConfig
from fashiongan.data.batches import epoch_order, gather_batch, place_images
from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.io import append_jsonl, read_jsonl, write_json
from fashiongan.models.build import build_models
from fashiongan.models.layers import scale_to_unit
from fashiongan.training.checkpoint import TrainingProgress, resolve_checkpoint, save_checkpoint
from fashiongan.training.device import resolve_device
from fashiongan.training.run_state import (
    fixed_grid_inputs,
    load_training_data,
    make_optimizers,
    prepare_run_dir,
    restore_from_checkpoint,
    set_epoch_lr,
    training_state,
)
from fashiongan.training.step import GANState, train_step
from fashiongan.training.tracking import (
    EpochMeter,
    InTrainingEvaluator,
    Tensorboard,
    finish_run_outputs,
    save_epoch_grid,
)

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    run_dir: Path
    epochs_done: int
    interrupted: bool = False
    records: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)


def train(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    progress_bar: bool = True,
    on_step: Callable[[int], None] | None = None,
    data: ImageDataset | None = None,
) -> TrainResult:
    """Train a GAN as ``config`` says, writing everything into ``run_dir``.

    With ``resume``, continue the run in ``run_dir`` from its last checkpoint (``config.train.epochs``
    is the total). Ctrl-C saves a checkpoint and returns with ``interrupted=True``. ``on_step(step)``
    is called after every optimizer step (tests use it to interrupt at a chosen point). ``data``
    replaces the dataset that ``config.data`` names (a notebook's own images, or tiny test data).
    """
    run_dir = Path(run_dir)
    device = resolve_device(config.train.device)
    data = load_training_data(config, data)
    evaluator = InTrainingEvaluator.maybe(config, device)  # fail fast, before the run folder is made
    prepare_run_dir(run_dir, config, resume)
    tensorboard = Tensorboard.maybe(config, run_dir)
    torch.manual_seed(config.train.seed)
    generator, discriminator = build_models(config)
    state = GANState(generator.to(device), discriminator.to(device), *make_optimizers(generator, discriminator, config))
    shuffle_rng = torch.Generator().manual_seed(config.train.seed)
    progress = TrainingProgress(class_names=list(data.class_names))
    if resume:
        progress = restore_from_checkpoint(resolve_checkpoint(run_dir, "last"), state, shuffle_rng)
    write_json(run_dir / "config.json", config.to_dict())
    if progress.epoch >= config.train.epochs:
        log.warning("run already has %d of %d epochs; nothing to train", progress.epoch, config.train.epochs)
        if tensorboard:
            tensorboard.close()
        records = read_jsonl(run_dir / "metrics.jsonl")
        return TrainResult(run_dir, progress.epoch, records=records, outputs=finish_run_outputs(run_dir, records))

    images = place_images(data.images, device)
    labels = data.labels.to(images.device)
    fixed_seeds, fixed_labels, grid_columns = fixed_grid_inputs(config)
    steps_per_epoch = len(epoch_order(len(data), config.train.batch_size, torch.Generator()))
    log.info("training on %d images (%d classes) on %s; run folder %s", len(data), data.num_classes, device, run_dir)
    bar = tqdm(total=config.train.epochs * steps_per_epoch, initial=progress.step, disable=not progress_bar,
               unit="step", dynamic_ncols=True)
    try:
        for epoch in range(progress.epoch, config.train.epochs):
            set_epoch_lr(state, config, epoch)
            bar.set_description(f"epoch {epoch + 1}/{config.train.epochs}")
            epoch_start_rng = shuffle_rng.get_state()
            meter = EpochMeter(progress.partial_sums, progress.batch_in_epoch)
            batches = epoch_order(len(data), config.train.batch_size, shuffle_rng)
            try:
                run_epoch(state, images, labels, batches, meter, progress, config, device, bar, on_step)
            except KeyboardInterrupt:
                progress.partial_sums, progress.batch_in_epoch = meter.sums_as_floats(), meter.batches
                save_checkpoint(run_dir / "checkpoints" / "last", state.generator, state.discriminator,
                                training_state(state, epoch_start_rng), progress)
                bar.close()
                log.warning("interrupted: checkpoint saved at epoch %d, batch %d; continue with --resume",
                            epoch + 1, meter.batches)
                return TrainResult(run_dir, progress.epoch, interrupted=True)
            record = meter.record(epoch + 1, progress.step, state)
            progress.epoch, progress.batch_in_epoch, progress.partial_sums = epoch + 1, 0, {}
            if (epoch + 1) % config.train.sample_every == 0 or epoch + 1 == config.train.epochs:
                save_epoch_grid(state.generator, fixed_seeds, fixed_labels, grid_columns, run_dir, epoch + 1, device)
            is_best = evaluator.run(state.generator, epoch + 1, record, progress) if evaluator else False
            save_checkpoint(run_dir / "checkpoints" / "last", state.generator, state.discriminator,
                            training_state(state, shuffle_rng.get_state()), progress)
            if is_best:
                save_checkpoint(run_dir / "checkpoints" / "best", state.generator, state.discriminator,
                                training_state(state, shuffle_rng.get_state()), progress)
            append_jsonl(run_dir / "metrics.jsonl", record)
            if tensorboard:
                tensorboard.log(record)
            bar.set_postfix_str(meter.summary(record))
    finally:
        bar.close()
        if tensorboard:
            tensorboard.close()
    records = read_jsonl(run_dir / "metrics.jsonl")
    return TrainResult(run_dir, progress.epoch, records=records, outputs=finish_run_outputs(run_dir, records))


def run_epoch(
    state: GANState,
    images: torch.Tensor,
    labels: torch.Tensor,
    batches: list[torch.Tensor],
    meter: EpochMeter,
    progress: TrainingProgress,
    config: RunConfig,
    device: torch.device,
    bar: tqdm,
    on_step: Callable[[int], None] | None,
) -> None:
    """Train on ``batches``, skipping the ones ``meter`` says were done before a resume."""
    num_classes = config.model.num_classes if config.model.conditional else 0
    for indices in batches[meter.batches :]:
        real_uint8, real_labels = gather_batch(images, labels, indices, device)
        real = scale_to_unit(real_uint8)  # uint8 → [-1, 1] on the device
        stats = train_step(state, real, real_labels if num_classes else None, config.model.z_dim, num_classes,
                           config.train.loss)
        meter.add(stats, real.shape[0])
        progress.step += 1
        bar.update(1)
        if meter.batches % 20 == 0:
            check_finite(meter, progress)
            bar.set_postfix_str(meter.live_summary())
        if on_step is not None:
            on_step(progress.step)
    check_finite(meter, progress)


def check_finite(meter: EpochMeter, progress: TrainingProgress) -> None:
    if not meter.finite():
        raise UserError(
            f"the loss became NaN or infinite at step {progress.step} (epoch {progress.epoch + 1}); "
            "training stopped and the last good checkpoint was kept; try a lower --lr"
        )

