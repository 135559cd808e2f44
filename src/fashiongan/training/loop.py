"""train(config, run_dir): epochs or a time budget, logging, grids, checkpoints, exact resume, clean stops."""

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
from fashiongan.data.batches import epoch_shard, gather_batch, place_images
from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError
from fashiongan.io import append_jsonl, read_jsonl, write_json
from fashiongan.models.layers import scale_to_unit
from fashiongan.run.checkpoint import TrainingProgress, resolve_checkpoint, save_checkpoint
from fashiongan.run.device import enable_fast_cuda, resolve_device, set_threads
from fashiongan.training.data_parallel import RankSync, wrap_for_ranks
from fashiongan.training.ema import ema_beta, has_batchnorm, recompute_batchnorm
from fashiongan.training.init_from import freeze_discriminator, initialise_from, read_source, write_record
from fashiongan.training.run_state import (
    data_record,
    fixed_grid_inputs,
    has_checkpoint,
    load_training_data,
    prepare_run_dir,
    restore_from_checkpoint,
    split_holdout,
    training_state,
    trim_metrics,
)
from fashiongan.training.schedule import epoch_repeats, lr_factor
from fashiongan.training.selection import HoldoutScorer, judge, warn_copies
from fashiongan.training.state import GANState, build_state, set_conditioning
from fashiongan.training.step import train_step
from fashiongan.training.stopping import Budget, StopSignals
from fashiongan.training.tracking import (
    EpochMeter,
    GridHealth,
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
    stop_reason: str = "epochs"  # "epochs", "budget", "patience", or the signal's name (SIGINT, SIGTERM)


@dataclass
class Session:
    """What the loop's helpers share for one call of ``train``."""

    config: RunConfig
    run_dir: Path
    state: GANState
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
    sync: RankSync | None  # data parallel: what ranks agree on after each step; None in one process
    repeats: int = 1  # passes over the images in one epoch (train.epoch_images)
    scorer: HoldoutScorer | None = None  # held-out checkpoint choice (training/selection.py)
    out_of_patience: bool = False

    @property
    def device(self) -> torch.device:
        return self.state.recipe.device

    @property
    def world_size(self) -> int:
        return self.state.recipe.world_size


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
    run_dir, given = Path(run_dir), data
    device = distributed.init(resolve_device(config.train.device))
    enable_fast_cuda(device)  # TF32 and cuDNN autotuning; nothing on the CPU
    if config.train.threads:
        set_threads(config.train.threads)
    data = distributed.main_first(lambda: load_training_data(config, given))  # rank 0 fills any data cache
    data, holdout = split_holdout(config, data, holdout)
    evaluator = distributed.main_only(lambda: InTrainingEvaluator.maybe(config, device))  # fail fast
    resumable = distributed.main_only(lambda: prepare_run_dir(run_dir, resume)) or has_checkpoint(run_dir)
    state = build_state(config, device)
    shuffle_rng = torch.Generator().manual_seed(config.train.seed)
    progress = start_networks(config, state, run_dir, resume and resumable, shuffle_rng, list(data.class_names))
    wrap_for_ranks(state, config)
    if distributed.is_main():
        write_json(run_dir / "config.json", config.to_dict())
        write_json(run_dir / "data.json", data_record(data, holdout))
    images = place_images(data.images, device)
    repeats = epoch_repeats(len(data), config.train.epoch_images)
    steps_per_epoch = len(epoch_shard(len(data) * repeats, config.train.batch_size, torch.Generator(),
                                      state.recipe.rank, state.recipe.world_size))
    epochs = config.epochs_or_default()
    bar = tqdm(total=epochs * steps_per_epoch if epochs else None, initial=progress.step, unit="step",
               disable=not progress_bar or not distributed.is_main(), dynamic_ncols=True)
    session = Session(config, run_dir, state, progress, images, data.labels.to(images.device), shuffle_rng,
                      Budget(config.train.seconds, progress.elapsed_s), StopSignals(), bar, evaluator,
                      distributed.main_only(lambda: GridHealth.maybe(config, device)),
                      distributed.main_only(lambda: Tensorboard.maybe(config, run_dir)), on_step, steps_per_epoch,
                      RankSync.maybe(progress.elapsed_s), repeats,
                      distributed.main_only(lambda: maybe_scorer(config, data, holdout, device)))
    ranks = f" × {session.world_size} ranks" if session.world_size > 1 else ""
    log.info("training on %d images (%d classes) on %s%s; run folder %s", len(data), data.num_classes, device, ranks,
             run_dir)
    try:
        with session.signals:
            reason = run_epochs(session)
    except distributed.PEER_ERRORS as exc:
        if session.world_size == 1 or not distributed.is_peer_failure(exc):
            raise
        raise distributed.lost_peer(exc, f"the last checkpoint in {run_dir} is intact: rerun with --resume") from None
    finally:
        bar.close()
        if session.tensorboard:
            session.tensorboard.close()
    if reason in ("SIGINT", "SIGTERM"):
        log.warning("stopped by %s: checkpoint saved at epoch %d, batch %d; continue with --resume", reason,
                    progress.epoch + 1, progress.batch_in_epoch)
        return TrainResult(run_dir, progress.epoch, interrupted=True, stop_reason=reason)
    if reason == "done":
        log.warning("run already has %d epochs and has spent its time budget; nothing to train", progress.epoch)
    if reason == "patience":
        log.info("stopped: %d held-out scores in a row without improvement; checkpoints/best holds the best "
                 "(held-out KID %.5f)", config.train.patience, progress.best_holdout)
    if not distributed.is_main():
        return TrainResult(run_dir, progress.epoch, stop_reason="epochs" if reason == "done" else reason)
    records = read_jsonl(run_dir / "metrics.jsonl")
    return TrainResult(run_dir, progress.epoch, records=records, outputs=finish_run_outputs(run_dir, records),
                       stop_reason="epochs" if reason == "done" else reason)


def start_networks(config: RunConfig, state: GANState, run_dir: Path, resume: bool, shuffle_rng: torch.Generator,
                   class_names: list[str]) -> TrainingProgress:
    """Weights to start from: the run's last checkpoint, another run's (--init-from), or fresh; then FreezeD."""
    progress = TrainingProgress(class_names=class_names)
    if resume:
        progress = restore_from_checkpoint(resolve_checkpoint(run_dir, "last"), state, shuffle_rng)
        if distributed.is_main():
            trim_metrics(run_dir, progress.epoch)
    elif config.train.init_from:
        record = initialise_from(read_source(config.train.init_from), state.modules(), class_names)
        distributed.main_only(lambda: write_record(run_dir, record))
    if config.train.freeze_d:
        freeze_discriminator(getattr(state.discriminator, "_orig_mod", state.discriminator), config.train.freeze_d)
    return progress


def finished(s: Session) -> str | None:
    """Why training is over ("epochs" or "budget"), or None while it goes on."""
    epochs = s.config.epochs_or_default()
    if epochs is not None and s.progress.epoch >= epochs:
        return "epochs"
    if s.out_of_patience:
        return "patience"
    spent = s.sync.exhausted(s.budget) if s.sync is not None else s.budget.exhausted()
    return "budget" if spent else None


def run_epochs(s: Session) -> str:
    """Epochs until the limit, the budget or a stop signal; returns why it stopped ("done" if it never ran)."""
    if finished(s):
        return "done"
    while True:
        epoch_start_rng = s.shuffle_rng.get_state()
        num_images = s.images.shape[0]
        batches = epoch_shard(num_images * s.repeats, s.config.train.batch_size, s.shuffle_rng,
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
        for indices in batches[meter.batches:]:
            set_step_schedules(s)
            real_uint8, real_labels = gather_batch(s.images, s.labels, indices, s.device)
            real = scale_to_unit(real_uint8)  # uint8 → [-1, 1] on the device
            global_batch = real.shape[0] * s.world_size
            beta = ema_beta(global_batch, config.train.ema_kimg, s.progress.images_seen, config.train.ema_rampup)
            stats = train_step(state, real, real_labels if labels_wanted else None, beta)
            meter.add(stats, real.shape[0])
            s.progress.step += 1
            s.progress.images_seen += global_batch
            s.bar.update(1)
            if meter.batches % config.train.log_every == 0:
                check_finite(meter, s.progress)
                s.bar.set_postfix_str(meter.live_summary())
            if s.on_step is not None:
                s.on_step(s.progress.step)
            stop = step_stop(s)
            if stop:
                return stop
    finally:
        s.budget.pause()
        s.progress.elapsed_s = s.budget.elapsed_s
    check_finite(meter, s.progress)
    return None


def step_stop(s: Session) -> str | None:
    """After a step: a stop signal's name, "budget", or None. Ranks decide together (one small all-reduce)."""
    if s.sync is not None:
        return s.sync.after_step(s.signals, s.budget)
    return s.signals.requested or ("budget" if s.budget.exhausted() else None)


def end_epoch(s: Session, meter: EpochMeter, partial: bool) -> None:
    """Close an epoch (or the part of one the budget allowed): record, grid, evaluation, checkpoint."""
    meter.sums = distributed.all_reduce_mean(meter.sums)  # the record shows every rank's statistics
    check_finite(meter, s.progress)
    epoch = s.progress.epoch + 1
    record = meter.record(epoch, s.progress.step, s.state) | {"elapsed_s": round(s.budget.elapsed_s, 2)}
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
    if s.scorer is not None:  # held-out choice replaces the evaluation's FID as the judge of "best"
        is_best = score_holdout(s, record, last)
        last = last or s.out_of_patience
    if epoch % s.config.train.checkpoint_every == 0 or last:
        save(s, "last", s.shuffle_rng.get_state())
    if is_best:
        save(s, "best", s.shuffle_rng.get_state())
    append_jsonl(s.run_dir / "metrics.jsonl", record)
    if s.tensorboard:
        s.tensorboard.log(record)


def maybe_scorer(config: RunConfig, data: ImageDataset, holdout: ImageDataset | None,
                 device: torch.device) -> HoldoutScorer | None:
    if holdout is None or config.train.select_kimg == 0:
        return None
    return HoldoutScorer.build(config, data, holdout, device)


def score_holdout(s: Session, record: dict[str, Any], last: bool) -> bool:
    """Score the held-out images when due; True when this is the best score so far (then save "best")."""
    if s.progress.images_seen < s.progress.next_select and not last:
        return False
    score = s.scorer.score(s.state.sampler())
    record.update(score)
    is_best, s.progress.stale_scores = judge(score, s.progress.best_holdout, s.progress.stale_scores)
    if is_best:
        s.progress.best_holdout = score["holdout_kid"]
    s.progress.next_select = s.progress.images_seen + int(s.config.train.select_kimg * 1000)
    warn_copies(score, s.progress.images_seen)
    patience = s.config.train.patience
    s.out_of_patience = patience > 0 and s.progress.stale_scores >= patience
    return is_best


def prepare_sampler(s: Session) -> None:
    """Give the EMA generator BatchNorm statistics of its own before it draws or is saved."""
    ema = s.state.generator_ema
    if ema is not None and has_batchnorm(ema):
        recompute_batchnorm(ema, s.state.recipe.num_classes, s.device)


def save(s: Session, name: str, shuffle_rng_state: torch.Tensor) -> None:
    """Rank 0 saves; the weights are the same on every rank, and the checkpoint holds unwrapped names."""
    if not distributed.is_main():
        return
    save_checkpoint(s.run_dir / "checkpoints" / name, s.state.modules(), training_state(s.state, shuffle_rng_state),
                    s.progress)


def progress_fraction(s: Session) -> float:
    """How far training is: by the time budget when there is one, else by steps of the epoch limit."""
    if s.budget.limit_s is not None:
        return s.sync.fraction(s.budget) if s.sync is not None else s.budget.fraction()
    epochs = s.config.epochs_or_default() or 1
    return min(1.0, s.progress.step / max(1, epochs * s.steps_per_epoch))


def set_step_schedules(s: Session) -> None:
    """The learning rates and the label-blending strength for the coming step."""
    train = s.config.train
    if train.blend_end > 0:
        span = max(1e-12, train.blend_end - train.blend_start)
        set_conditioning(s.state, min(1.0, max(0.0, (progress_fraction(s) - train.blend_start) / span)))
    if train.lr_schedule == "constant":
        return
    factor = lr_factor(train.lr_schedule, progress_fraction(s), train.lr_decay_start, train.lr_decay_floor)
    for group in s.state.opt_g.param_groups:
        group["lr"] = train.lr_g * factor
    for group in s.state.opt_d.param_groups:
        group["lr"] = train.lr_d * factor


def check_finite(meter: EpochMeter, progress: TrainingProgress) -> None:
    if not meter.finite():
        raise UserError(
            f"the loss became NaN or infinite at step {progress.step} (epoch {progress.epoch + 1}); "
            "training stopped and the last good checkpoint was kept; try a lower --lr"
        )
