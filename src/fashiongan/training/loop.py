"""train(config, run_dir): epochs or a time budget, logging, grids, checkpoints, exact resume, clean stops."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from fashiongan import distributed
from fashiongan.config import RunConfig
from fashiongan.data.batches import epoch_shard, gather_batch
from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.io import append_jsonl, read_jsonl
from fashiongan.models.layers import scale_to_unit
from fashiongan.run.checkpoint import save_checkpoint
from fashiongan.training.ema import has_batchnorm, recompute_batchnorm
from fashiongan.training.run_state import fixed_grid_inputs, training_state
from fashiongan.training.schedule import apply_settings, batch_units, first_batch, step_settings
from fashiongan.training.selection import score_holdout
from fashiongan.training.session import Session, TrainResult
from fashiongan.training.step import train_step
from fashiongan.training.tracking import EpochMeter, finish_run_outputs, save_epoch_grid

__all__ = ["Session", "TrainResult", "train"]

log = logging.getLogger(__name__)


def train(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    progress_bar: bool = True,
    on_step: Callable[[int], None] | None = None,
    data: ImageDataset | None = None,
    holdout: ImageDataset | None = None,
) -> TrainResult:
    """Train a GAN as ``config`` says, writing everything into ``run_dir``.

    Training stops after ``config.train.epochs`` epochs (the total, across resumes) or when the time
    budget ``config.train.seconds`` is spent, whichever comes first. With ``resume``, continue the run in
    ``run_dir`` from its last checkpoint. SIGINT/SIGTERM (Ctrl-C) finish the current step, save, and return
    with ``interrupted=True``. ``on_step(step)`` is called after every step; ``data`` replaces the dataset
    that ``config.data`` names (a notebook's own images, or tiny test data), and ``holdout`` the held-out
    images that ``--holdout`` would carve from it.

    Under torchrun every rank calls this: each trains on its shard of every batch (``train.batch_size`` is
    per rank), and only rank 0 writes into ``run_dir`` (see training/data_parallel.py).
    """
    session = Session.start(config, Path(run_dir), resume=resume, progress_bar=progress_bar, on_step=on_step,
                            data=data, holdout=holdout)
    run_dir, progress = session.run_dir, session.progress
    try:
        with session.signals:
            reason = run_epochs(session)
    except distributed.PEER_ERRORS as exc:
        if session.world_size == 1 or not distributed.is_peer_failure(exc):
            raise
        raise distributed.lost_peer(exc, f"the last checkpoint in {run_dir} is intact: rerun with --resume") from None
    finally:
        session.close()
    if reason in ("SIGINT", "SIGTERM"):
        log.warning("stopped by %s: checkpoint saved at epoch %d, batch %d; continue with --resume", reason,
                    progress.epoch + 1, progress.batch_in_epoch)
        return TrainResult(run_dir, progress.epoch, interrupted=True, stop_reason=reason)
    if reason == "done":
        log.warning("run already has %d epochs and has spent its time budget; nothing to train", progress.epoch)
    if reason == "patience":
        log.info("stopped: %d held-out scores in a row without improvement; checkpoints/best holds the best "
                 "(held-out KID %.5g)", config.train.patience, progress.best_holdout)
    if not distributed.is_main():
        return TrainResult(run_dir, progress.epoch, stop_reason="epochs" if reason == "done" else reason)
    records = read_jsonl(run_dir / "metrics.jsonl")
    return TrainResult(run_dir, progress.epoch, records=records, outputs=finish_run_outputs(run_dir, records),
                       stop_reason="epochs" if reason == "done" else reason)


def finished(s: Session) -> str | None:
    """Why training is over ("epochs" or "budget"), or None while it goes on."""
    epochs = s.config.epochs_or_default()
    if epochs is not None and s.progress.epoch >= epochs:
        return "epochs"
    if s.out_of_patience:
        return "patience"
    return "budget" if s.sync.exhausted(s.budget) else None


def run_epochs(s: Session) -> str:
    """Epochs until the limit, the budget or a stop signal; returns why it stopped ("done" if it never ran)."""
    if finished(s):
        return "done"
    while True:
        epoch_start_rng = s.shuffle_rng.get_state()
        num_images = s.images.shape[0]
        batches = epoch_shard(num_images * s.repeats, first_batch(s.config.train), s.shuffle_rng,
                              s.state.recipe.rank, s.world_size)
        if s.repeats > 1:  # positions in the repeated epoch → images
            batches = [batch.remainder(num_images) for batch in batches]
        meter = EpochMeter(s.progress.partial_sums, s.progress.batch_in_epoch)
        s.bar.set_description(f"epoch {s.progress.epoch + 1}")
        stop = run_batches(s, batches, meter)
        if stop in ("SIGINT", "SIGTERM"):
            meter.sums = distributed.all_reduce_mean(meter.sums)
            s.progress.partial_sums, s.progress.batch_in_epoch = meter.sums_as_floats(), meter.batches
            save(s, "last", epoch_start_rng)
            return stop
        end_epoch(s, meter, partial=stop == "budget")
        reason = finished(s)
        if reason:
            return reason


def run_batches(s: Session, batches: list[torch.Tensor], meter: EpochMeter) -> str | None:
    """Train on ``batches`` past the ones done before a resume; returns "budget"/a signal name if cut short."""
    config, state = s.config, s.state
    labels_wanted = config.model.conditional
    s.budget.start()
    try:
        while meter.batches < len(batches):
            joined = batches[meter.batches : meter.batches + batch_units(config.train, s.progress.images_seen)]
            units = len(joined)  # 1 unless the batch grows (--batch-start); fewer at the epoch's end
            indices = torch.cat(joined) if units > 1 else joined[0]
            global_batch = len(indices) * s.world_size
            settings = step_settings(config.train, progress_fraction(s), s.progress.images_seen, global_batch)
            apply_settings(state, config.train, settings)
            real_uint8, real_labels = gather_batch(s.images, s.labels, indices, s.device)
            real = scale_to_unit(real_uint8)  # uint8 → [-1, 1] on the device
            stats = train_step(state, real, real_labels if labels_wanted else None, settings.ema_beta)
            logged_before = meter.batches // config.train.log_every
            meter.add(stats, real.shape[0], units)
            s.progress.images_seen += global_batch
            s.bar.update(1)
            if meter.batches // config.train.log_every > logged_before:
                check_finite(meter, s)
                s.bar.set_postfix_str(meter.live_summary())
            if s.on_step is not None:
                s.on_step(state.step)
            stop = step_stop(s)
            if stop:
                return stop
    finally:
        s.budget.pause()
        s.progress.elapsed_s = s.budget.elapsed_s
    check_finite(meter, s)
    return None


def step_stop(s: Session) -> str | None:
    """After a step: a stop signal's name, "budget", or None. Ranks decide together (one small all-reduce)."""
    return s.sync.after_step(s.signals, s.budget)


def end_epoch(s: Session, meter: EpochMeter, partial: bool) -> None:
    """Close an epoch (or the part of one the budget allowed): record, grid, evaluation, checkpoint."""
    meter.sums = distributed.all_reduce_mean(meter.sums)  # the record shows every rank's statistics
    check_finite(meter, s)
    epoch = s.progress.epoch + 1
    record = meter.record(epoch, s.state.step, s.state) | {"elapsed_s": round(s.budget.elapsed_s, 2)}
    if partial:
        record["partial_epoch"] = True
    if s.world_size > 1:  # ranks run in lockstep: the job's throughput is N times one rank's
        record["images_per_s"] = round(record["images_per_s"] * s.world_size, 1)
    s.progress.epoch, s.progress.batch_in_epoch, s.progress.partial_sums = epoch, 0, {}
    if distributed.is_main():
        write_epoch_outputs(s, record, epoch, last=finished(s) is not None)
    if s.world_size > 1 and s.config.train.patience:  # rank 0 alone scores: the others learn its verdict
        s.out_of_patience = distributed.all_reduce_max([float(s.out_of_patience)])[0] > 0
    distributed.barrier()  # the other ranks wait here, outside their time budget
    s.bar.set_postfix_str(meter.summary(record))


def write_epoch_outputs(s: Session, record: dict[str, Any], epoch: int, last: bool) -> None:
    """Rank 0's part of an epoch's end: grid, evaluation, checkpoints, the metrics line."""
    prepare_sampler(s)
    if epoch % s.config.train.sample_every == 0 or last:
        grid_seeds, grid_labels, columns = fixed_grid_inputs(s.config)
        grid = save_epoch_grid(s.state.sampler(), grid_seeds, grid_labels, columns, s.run_dir, epoch, s.device)
        if s.health is not None and grid_labels is not None:
            s.health.check(grid, grid_labels, record)
    is_best = s.evaluator.run(s.state.sampler(), epoch, record, s.progress, last) if s.evaluator else False
    if s.scorer is not None:  # the held-out choice replaces the evaluation's FID as the judge of "best"
        is_best, s.out_of_patience = score_holdout(s.scorer, s.state.sampler(), s.progress, s.config.train, record,
                                                   last, progress_fraction(s))
        last = last or s.out_of_patience
    if epoch % s.config.train.checkpoint_every == 0 or last:
        save(s, "last", s.shuffle_rng.get_state())
    if is_best:
        save(s, "best", s.shuffle_rng.get_state())
    append_jsonl(s.run_dir / "metrics.jsonl", record)
    if s.tensorboard:
        s.tensorboard.log(record)


def prepare_sampler(s: Session) -> None:
    """Give the EMA generator BatchNorm statistics of its own before it draws or is saved."""
    ema = s.state.generator_ema
    if ema is not None and has_batchnorm(ema):
        recompute_batchnorm(ema, s.state.recipe.num_classes, s.device)


def save(s: Session, name: str, shuffle_rng_state: torch.Tensor) -> None:
    """Rank 0 saves; the weights are the same on every rank, and the checkpoint holds unwrapped names."""
    if not distributed.is_main():
        return
    progress = dataclasses.replace(s.progress, step=s.state.step)  # the step counter is the state's
    save_checkpoint(s.run_dir / "checkpoints" / name, s.state.modules(), training_state(s.state, shuffle_rng_state),
                    progress)


def progress_fraction(s: Session) -> float:
    """How far training is: by the time budget when there is one, else by steps of the epoch limit."""
    if s.budget.limit_s is not None:
        return s.sync.fraction(s.budget)
    epochs = s.config.epochs_or_default() or 1
    start = first_batch(s.config.train)
    if start < s.config.train.batch_size:  # a growing batch: steps are no fixed share of the run, images are
        per_batch = start * s.world_size
        epoch_images = s.images.shape[0] * s.repeats // per_batch * per_batch
        return min(1.0, s.progress.images_seen / max(1, epochs * epoch_images))
    return min(1.0, s.state.step / max(1, epochs * s.steps_per_epoch))


def check_finite(meter: EpochMeter, s: Session) -> None:
    if not meter.finite():
        raise UserError(
            f"the loss became NaN or infinite at step {s.state.step} (epoch {s.progress.epoch + 1}); "
            "training stopped and the last good checkpoint was kept; try a lower --lr"
        )
