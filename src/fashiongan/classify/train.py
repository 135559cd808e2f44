"""train_classifier(config, run_dir): epochs or a time budget, validation, checkpoints, resume, metrics.

Recipe: AdamW with a one-cycle schedule (warm up over the first 20%, then cosine down), driven by the share
of the budget used: steps for ``epochs``, wall-clock seconds for ``minutes``. The last epoch's model is kept
and scored once on the test split; the validation split is carved from the training data.

Under torchrun every rank takes its slice of each global batch (``batch_size`` per rank, so the global
batch is ``batch_size × ranks``) and DDP averages the gradients; BatchNorm normalises with each rank's own
batch statistics (the running statistics are rank 0's, broadcast by DDP). Rank 0 alone validates, writes
checkpoints and metrics, and tests; the ranks agree on the --minutes clock by taking its maximum each step.
"""

from __future__ import annotations

import datetime
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from fashiongan import distributed
from fashiongan.classify.augment import augment_batch
from fashiongan.classify.checkpoint import Progress, load_checkpoint, load_run, save_checkpoint
from fashiongan.classify.config import ClassifyConfig, check_resumable
from fashiongan.classify.mixing import build_mixer, epoch_data
from fashiongan.classify.model import build_classifier, classification_loss
from fashiongan.classify.plots import plot_classifier_curves
from fashiongan.classify.scores import score
from fashiongan.classify.synthetic import SyntheticMixer
from fashiongan.data.batches import epoch_shard
from fashiongan.data.dataset import ImageDataset
from fashiongan.data.splits import Splits, load_splits
from fashiongan.errors import UserError
from fashiongan.io import append_jsonl, read_jsonl, write_json
from fashiongan.run.device import autocast, autocast_dtype, resolve_device
from fashiongan.run.prepare import prepare_run_dir
from fashiongan.run.schedule import one_cycle_lr
from fashiongan.viz.confusion import plot_confusion_matrix

log = logging.getLogger(__name__)


@dataclass
class ClassifyResult:
    run_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False


def _prepare_run_dir(run_dir: Path, resume: bool, config: ClassifyConfig) -> None:
    """The run folder (run/prepare.py); on resume, ``config`` must keep the saved fixed options."""
    if resume and (run_dir / "config.json").is_file():
        check_resumable(load_run(run_dir)[0], config)
    prepare_run_dir(run_dir, resume, kind="classifier run", restart=False, finished_file="metrics.json")


@dataclass
class Loop:
    """What one epoch needs: model, optimizer, RNGs, the budget."""

    model: nn.Module  # the bare model: saved, validated and tested
    optimizer: torch.optim.Optimizer
    config: ClassifyConfig
    device: torch.device
    shuffle_rng: torch.Generator
    augment_rng: torch.Generator
    total_steps: int  # per the epoch budget (unused with --minutes)
    forward: nn.Module | None = None  # what the steps call: the model, or its DDP wrapper under torchrun
    dtype: torch.dtype | None = None  # autocast dtype of the forward pass (None: fp32)

    @property
    def global_batch(self) -> int:
        return (self.config.batch_size or 128) * distributed.world_size()

    def fraction(self, progress: Progress) -> float:
        if self.config.minutes is not None:
            return progress.seconds / (60 * self.config.minutes)
        return progress.step / max(1, self.config.max_steps or self.total_steps)

    def out_of_time(self, progress: Progress) -> bool:
        """True when the --minutes or max_steps budget is spent."""
        if self.config.max_steps is not None and progress.step >= self.config.max_steps:
            return True
        return self.config.minutes is not None and progress.seconds >= 60 * self.config.minutes

    def images_left(self, progress: Progress) -> int | None:
        """Images the rest of a max_steps budget can use (None: no step budget)."""
        if self.config.max_steps is None:
            return None
        return (self.config.max_steps - progress.step) * self.global_batch


def run_epoch(loop: Loop, data: ImageDataset, progress: Progress, bar: tqdm, real_count: int | None = None
              ) -> dict[str, float]:
    """One shuffled pass over ``data`` (stops early when a --minutes budget runs out): mean loss and accuracy,
    and how many real (the first ``real_count`` of ``data``) and synthetic images the steps were shown."""
    forward = loop.forward or loop.model
    forward.train()
    total_loss, correct, seen, real_seen = 0.0, 0, 0, 0
    real_count = len(data) if real_count is None else real_count
    peak = loop.config.lr or 1e-3
    batches = epoch_shard(len(data), loop.config.batch_size or 128, loop.shuffle_rng, distributed.rank(),
                          distributed.world_size(), keep_tail=True)  # one process: every image once per epoch
    for indices in batches:
        started = time.perf_counter()
        for group in loop.optimizer.param_groups:
            group["lr"] = one_cycle_lr(loop.fraction(progress), peak)
        images = data.images[indices].to(loop.device, non_blocking=True)
        labels = data.labels[indices].to(loop.device, non_blocking=True)
        x = augment_batch(images, loop.config.augment, loop.augment_rng).contiguous(memory_format=torch.channels_last)
        with autocast(loop.device, loop.dtype):
            logits = forward(x)
        loss = classification_loss(logits.float(), labels)
        loop.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        loop.optimizer.step()
        predicted = (logits[:, 0] > 0).long() if logits.shape[1] == 1 else logits.argmax(1)
        total_loss += loss.item() * len(indices)
        correct += int((predicted == labels).sum())
        seen += len(indices)
        real_seen += int((indices < real_count).sum())
        progress.step += 1
        progress.seconds += time.perf_counter() - started
        if loop.config.minutes is not None and distributed.world_size() > 1:  # one clock: every rank stops together
            progress.seconds = distributed.all_reduce_max([progress.seconds])[0]
        bar.update(1)
        if not math.isfinite(total_loss):
            raise UserError(f"the classifier loss became NaN at step {progress.step}; try a lower --lr")
        if loop.out_of_time(progress):
            break
    sums = distributed.all_reduce_mean({"loss": torch.tensor(total_loss), "correct": torch.tensor(float(correct)),
                                        "seen": torch.tensor(float(seen))})  # means of sums: the ratios are global
    seen_all = max(1.0, float(sums["seen"]))
    return {"train_loss": round(float(sums["loss"]) / seen_all, 5),
            "train_accuracy": round(float(sums["correct"]) / seen_all, 5),
            "real_shown": real_seen, "synthetic_shown": seen - real_seen}  # this rank's


def _setup(config: ClassifyConfig, splits: Splits, device: torch.device, mixer: SyntheticMixer | None) -> Loop:
    train = splits.train
    torch.manual_seed(config.seed)
    model = build_classifier(config.preset, train.channels, train.image_size, train.num_classes)
    model = model.to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr or 1e-3, weight_decay=config.weight_decay)
    world = distributed.world_size()
    per_epoch = (0 if config.synthetic_only else len(train)) + (mixer.per_epoch(train) if mixer else 0)
    steps_per_epoch = max(1, per_epoch // max(1, min((config.batch_size or 128) * world, per_epoch)))
    forward = None
    if world > 1:  # DDP broadcasts rank 0's initial weights, then averages gradients every step
        forward = nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    augment_seed = config.seed + 1 + 7919 * distributed.rank()  # ranks flip and shift their images differently
    return Loop(model, optimizer, config, device, torch.Generator().manual_seed(config.seed),
                torch.Generator().manual_seed(augment_seed), (config.epochs or 1) * steps_per_epoch, forward,
                autocast_dtype(config.precision, device))


def train_classifier(
    config: ClassifyConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    splits: Splits | None = None,
    progress_bar: bool = True,
    command: str = "",
    plots: bool = True,
    pool: ImageDataset | None = None,
) -> ClassifyResult:
    """Train a classifier as ``config`` says, writing everything into ``run_dir``.

    ``splits`` replaces the data ``config`` names (the study passes its per-cell subsets; tests pass tiny
    data). With ``resume``, continue from the last checkpoint (``epochs``/``minutes`` are the totals).
    ``plots=False`` skips the PNGs (the study trains hundreds of classifiers and reads only metrics.json).
    ``pool``, a fixed set of labelled extra images (a GAN's samples drawn once, pseudo-labelled images),
    replaces sampling ``config.synthetic``: each epoch draws ``synthetic_ratio`` x n_c images of class c from
    it (pass the same pool again to resume).
    Ctrl-C keeps the last epoch's checkpoint and returns ``interrupted=True``.
    """
    run_dir = Path(run_dir)
    config = config.resolved()
    device = distributed.init(resolve_device(config.device))  # a no-op unless torchrun started several ranks
    if splits is None:
        splits = load_splits(config.data_config(), config.val_fraction, config.seed, config.per_class)
    mixer = build_mixer(config, splits.train, device, pool)  # fail fast on a bad --synthetic, before the folder is made
    loop = _setup(config, splits, device, mixer)  # builds the model: a preset that does not fit the data fails here
    distributed.main_only(lambda: _prepare_run_dir(run_dir, resume, config))
    progress = load_checkpoint(run_dir, loop.model, loop.optimizer, loop.shuffle_rng, loop.augment_rng) \
        if resume else Progress()
    distributed.main_only(lambda: write_json(run_dir / "config.json", {
        "classify": config.to_dict(), "class_names": splits.train.class_names}))
    epochs = 10**9 if config.minutes is not None or config.max_steps is not None else (config.epochs or 1)
    log.info("training %s on %d images (%d classes) on %s; run folder %s", config.preset, len(splits.train),
             splits.train.num_classes, device, run_dir)
    total = None if config.minutes is not None else (config.max_steps or loop.total_steps)
    show = progress_bar and distributed.is_main()
    with tqdm(total=total, initial=progress.step, disable=not show, unit="step", dynamic_ncols=True) as bar:
        try:
            while progress.epoch < epochs and not loop.out_of_time(progress):
                data, real_count = epoch_data(splits.train, mixer, progress.epoch, loop.images_left(progress),
                                               config.synthetic_only)
                record = run_epoch(loop, data, progress, bar, real_count)
                progress.epoch += 1
                distributed.main_only(lambda record=record: end_epoch(run_dir, loop, splits, progress, record, bar))
        except KeyboardInterrupt:
            log.warning("interrupted: the checkpoint of epoch %d is kept; continue with --resume", progress.epoch)
            return ClassifyResult(run_dir, interrupted=True)
    metrics = distributed.main_only(lambda: finish(run_dir, loop, splits, progress, mixer, command, plots))
    return ClassifyResult(run_dir, metrics or {})


def end_epoch(run_dir: Path, loop: Loop, splits: Splits, progress: Progress, record: dict[str, float],
              bar: tqdm) -> None:
    """Validate, then save the checkpoint and the epoch's line of history.jsonl (rank 0's job)."""
    val_accuracy = score(loop.model, splits.val, loop.device, loop.dtype)["accuracy"] if len(splits.val) else None
    record = {"epoch": progress.epoch, "step": progress.step, **record, "val_accuracy": val_accuracy,
              "lr": loop.optimizer.param_groups[0]["lr"], "seconds": round(progress.seconds, 1)}
    save_checkpoint(run_dir, loop.model, loop.optimizer, loop.shuffle_rng, loop.augment_rng, progress,
                    splits.train.class_names)
    append_jsonl(run_dir / "history.jsonl", record)
    bar.set_description(f"epoch {progress.epoch} val acc {record['val_accuracy']}")


def finish(run_dir: Path, loop: Loop, splits: Splits, progress: Progress, mixer: SyntheticMixer | None,
           command: str, plots: bool = True) -> dict[str, Any]:
    """Score the final model on the test split; write metrics.json, the confusion matrix and the curves."""
    test = score(loop.model, splits.test, loop.device, loop.dtype)
    history = read_jsonl(run_dir / "history.jsonl")
    metrics = {
        "test_accuracy": test["accuracy"], "val_accuracy": history[-1]["val_accuracy"] if history else None,
        "per_class": test["per_class"], "confusion_matrix": test["confusion_matrix"],
        "class_names": splits.train.class_names, "test_images": len(splits.test), "test_split": splits.test_source,
        "train_images": len(splits.train), "val_images": len(splits.val),
        "synthetic_per_epoch": mixer.per_epoch(splits.train) if mixer else 0,
        "real_images_shown": sum(r.get("real_shown", 0) for r in history),
        "synthetic_images_shown": sum(r.get("synthetic_shown", 0) for r in history),
        "epochs": progress.epoch, "steps": progress.step, "train_seconds": round(progress.seconds, 1),
        "command": command, "config": loop.config.to_dict(), "device": str(loop.device),
        "torch_threads": torch.get_num_threads(), "torch_version": torch.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }  # fmt: skip
    write_json(run_dir / "metrics.json", metrics)
    if not plots:
        return metrics
    plot_confusion_matrix(test["confusion_matrix"], splits.train.class_names, run_dir / "confusion_matrix.png",
                          f"test accuracy {test['accuracy']:.4f} ({len(splits.test)} images)")
    plot_classifier_curves(history, run_dir)
    log.info("test accuracy %.4f after %d epochs (%.0f s)", test["accuracy"], progress.epoch, progress.seconds)
    return metrics
