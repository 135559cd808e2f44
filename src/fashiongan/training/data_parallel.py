"""Data-parallel GAN training under torchrun: the DDP wrappers, and what ranks agree on after each step.

How a GAN step runs on N ranks (each with its own shard of the batch, see data.batches.epoch_shard):

* G and D are each wrapped in DistributedDataParallel, which averages gradients across ranks during the
  backward pass. D's update calls the wrapped D (real, fakes, and the R1/R2 penalties, whose double
  backward reaches D's weights through ordinary ``.grad`` accumulation, once per weight, so DDP's hooks fire
  once). G's update calls the *unwrapped* D (``.module``): D's weights are frozen there, and a wrapped
  forward would make DDP expect a D gradient all-reduce that G's backward never triggers (toggling
  ``requires_grad`` on a wrapped module breaks DDP's bookkeeping). G's gradients still pass through G's
  wrapper. This is the split PyTorch DDP allows; stylegan2-ada instead skips the wrappers and all-reduces
  gradients by hand.
* Buffers are not broadcast (``broadcast_buffers=False``): D's spectral-norm vectors are computed from
  identical weights on every rank, and a broadcast between D's several forwards would modify tensors its
  graph still needs. G's BatchNorm uses each rank's batch statistics unless ``train.sync_batchnorm``
  (CUDA only) converts it to SyncBatchNorm; the EMA copy's statistics are recomputed before it samples.
* Every rank draws the same noise (global batch, own rows) and applies the same Adam update to the same
  averaged gradients, so weights and the EMA stay identical on all ranks without further syncs.
  Augmentation draws from a per-rank RNG so ranks do not share augmentation parameters.
"""

from __future__ import annotations

import dataclasses
import inspect

import torch
from torch import nn

from fashiongan import distributed
from fashiongan.config import RunConfig
from fashiongan.errors import UserError
from fashiongan.training.state import GANState
from fashiongan.training.stopping import Budget, StopSignals

STOP_REASONS = ("", "SIGINT", "SIGTERM")


def wrap_for_ranks(state: GANState, config: RunConfig) -> None:
    """Wrap G and D in DDP and tell the recipe its rank (no-op in a single process)."""
    world, rank = distributed.world_size(), distributed.rank()
    if world == 1:
        return
    device = state.recipe.device
    if config.train.sync_batchnorm:
        if device.type != "cuda":
            raise UserError("train.sync_batchnorm needs CUDA GPUs (SyncBatchNorm has no CPU kernel); drop "
                            "--sync-batchnorm to keep per-rank BatchNorm statistics")
        state.generator = nn.SyncBatchNorm.convert_sync_batchnorm(state.generator)  # same parameter objects
    state.generator, state.discriminator = ddp(state.generator, device), ddp(state.discriminator, device)
    state.recipe = dataclasses.replace(state.recipe, rank=rank, world_size=world)
    seed = config.train.seed + 1 + 1_000_003 * (rank + 1) + state.step  # distinct per rank and per resume
    state.augment_noise = torch.Generator(device=device).manual_seed(seed)


def ddp(module: nn.Module, device: torch.device) -> nn.Module:
    """DistributedDataParallel without buffer broadcasts before each forward (named differently across versions)."""
    newer = "forward_sync_buffers" in inspect.signature(nn.parallel.DistributedDataParallel).parameters
    no_buffer_sync = {"forward_sync_buffers": False} if newer else {"broadcast_buffers": False}
    device_ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=device_ids, **no_buffer_sync)


class RankSync:
    """What the ranks agree on after every step, in one small all-reduce: whether to stop, and the clock.

    A stop signal on any rank stops them all at the same step; the time budget is judged on the slowest
    rank's clock, and the lr/EMA schedules read that agreed clock, so every rank applies the same update.
    """

    def __init__(self, elapsed_s: float) -> None:
        self.spent_s = elapsed_s

    def after_step(self, signals: StopSignals, budget: Budget) -> str | None:
        """Why every rank stops now ("SIGINT", "SIGTERM", "budget"), or None."""
        code, spent = distributed.all_reduce_max([float(STOP_REASONS.index(signals.requested or "")),
                                                  budget.spent()])
        self.spent_s = spent
        if code:
            return STOP_REASONS[int(code)]
        return "budget" if self.exhausted(budget) else None

    def exhausted(self, budget: Budget) -> bool:
        return budget.limit_s is not None and self.spent_s >= budget.limit_s

    def fraction(self, budget: Budget) -> float:
        return min(1.0, self.spent_s / budget.limit_s) if budget.limit_s else 0.0


class LocalSync:
    """``RankSync``'s stand-in for a single process: the stop request and the clock are this process's own."""

    def after_step(self, signals: StopSignals, budget: Budget) -> str | None:
        return signals.requested or ("budget" if budget.exhausted() else None)

    def exhausted(self, budget: Budget) -> bool:
        return budget.exhausted()

    def fraction(self, budget: Budget) -> float:
        return budget.fraction()


def rank_sync(elapsed_s: float) -> RankSync | LocalSync:
    """What the loop asks after each step: the ranks' agreement under torchrun, this process's own otherwise."""
    return RankSync(elapsed_s) if distributed.world_size() > 1 else LocalSync()
