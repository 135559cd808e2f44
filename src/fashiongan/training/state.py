"""The training state: everything one step reads and updates, built once from the config.

``GANState`` holds the networks (generator, discriminator, optional generator EMA), their optimizers,
the noise generator, and the ``Recipe``: the loss, penalty and augmentation callables the config chose.
A later option registers itself here (and in ``modules()``/``optimizers()`` for checkpoints); neither the
step nor the loop nor the checkpoint code needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from fashiongan.config import RunConfig
from fashiongan.models.build import build_models
from fashiongan.run.device import autocast_dtype
from fashiongan.training.ada import AdaptiveAugment
from fashiongan.training.augment import Augment, build_augment
from fashiongan.training.ema import make_ema
from fashiongan.training.losses import LOSSES, AdversarialLoss
from fashiongan.training.penalties import Penalty, gradient_penalty, r1, r2


@dataclass(frozen=True)
class WeightedPenalty:
    name: str
    weight: float
    fn: Penalty


@dataclass(frozen=True)
class Recipe:
    """The callables and constants of a step, chosen from the config."""

    loss: AdversarialLoss
    penalties: tuple[WeightedPenalty, ...]
    penalty_every: int
    aux_weight: float
    augment: Augment | None
    z_dim: int
    num_classes: int  # 0 for an unconditional model
    device: torch.device
    autocast_dtype: torch.dtype | None
    channels_last: bool
    mode_seeking: float = 0.0  # weight of the mode-seeking term (training/diversity.py); 0: off
    rank: int = 0  # data parallel (training/data_parallel.py): this process's place among world_size
    world_size: int = 1


@dataclass
class GANState:
    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    recipe: Recipe
    noise: torch.Generator  # the step's own RNG (noise, labels, augmentation): a step is reproducible alone
    generator_ema: nn.Module | None = None
    step: int = 0
    conditioning: float = 1.0  # label strength while blending labels in (1: fully conditional)
    extra_modules: dict[str, nn.Module] = field(default_factory=dict)
    augment_noise: torch.Generator | None = None  # data parallel: each rank's own augmentation RNG
    ada: AdaptiveAugment | None = None  # --augment ada: the probability and what moves it

    def modules(self) -> dict[str, nn.Module]:
        """The named modules a checkpoint saves."""
        named = {"generator": self.generator, "discriminator": self.discriminator}
        if self.generator_ema is not None:
            named["generator_ema"] = self.generator_ema
        return named | self.extra_modules

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def sampler(self) -> nn.Module:
        """The network to draw grids and evaluations from: the EMA copy when there is one."""
        return self.generator_ema if self.generator_ema is not None else bare(self.generator)


def bare(module: nn.Module) -> nn.Module:
    """The network inside a DistributedDataParallel wrapper; the module itself when it is not wrapped."""
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


def set_conditioning(state: GANState, strength: float) -> None:
    """Scale how much the labels act, in every network that supports it (Shahbazi et al. 2022, sec. 4)."""
    state.conditioning = strength
    for network in (state.generator, state.discriminator, state.generator_ema):
        for module in network.modules() if network is not None else ():
            if hasattr(module, "strength"):
                module.strength = strength


def build_recipe(config: RunConfig, device: torch.device) -> Recipe:
    train = config.train
    penalties = tuple(
        WeightedPenalty(name, weight, fn)
        for name, weight, fn in (("r1", train.r1_gamma, r1), ("r2", train.r2_gamma, r2),
                                 ("gp", train.gp_weight, gradient_penalty))
        if weight > 0
    )
    return Recipe(
        loss=LOSSES[train.loss],
        penalties=penalties,
        penalty_every=train.penalty_every,
        aux_weight=train.aux_weight,
        augment=None if train.augment == "ada" else build_augment(train.augment),
        z_dim=config.model.z_dim,
        num_classes=config.model.num_classes if config.model.conditional else 0,
        device=device,
        autocast_dtype=autocast_dtype(train.precision, device),
        channels_last=train.channels_last,
        mode_seeking=train.mode_seeking,
    )


def make_optimizers(generator: nn.Module, discriminator: nn.Module, config: RunConfig) -> tuple[
        torch.optim.Adam, torch.optim.Adam]:
    """Adam for each network (separate rates: TTUR, Heusel et al. 2017), fused: one kernel for all tensors, on
    CPU too (BENCHMARKS.md: 3.6-4.0x faster than the foreach step on fmnist-best's and folder-best's networks)."""
    train = config.train
    betas = (train.beta1, train.beta2)
    return (
        torch.optim.Adam(generator.parameters(), lr=train.lr_g, betas=betas, fused=True),
        torch.optim.Adam(discriminator.parameters(), lr=train.lr_d, betas=betas, fused=True),
    )


def build_state(config: RunConfig, device: torch.device) -> GANState:
    """Fresh networks (seeded by ``config.train.seed``), optimizers, EMA copy and recipe on ``device``."""
    torch.manual_seed(config.train.seed)
    generator, discriminator = build_models(config)
    memory_format = torch.channels_last if config.train.channels_last else torch.preserve_format
    generator = generator.to(device=device, memory_format=memory_format)
    discriminator = discriminator.to(device=device, memory_format=memory_format)
    opt_g, opt_d = make_optimizers(generator, discriminator, config)
    ema = make_ema(generator) if config.train.ema_kimg > 0 else None  # an eager copy: it only samples
    if config.train.compile:
        generator, discriminator = compile_models(generator, discriminator)
    noise = torch.Generator(device=device).manual_seed(config.train.seed + 1)
    state = GANState(generator, discriminator, opt_g, opt_d, build_recipe(config, device), noise, ema)
    if config.train.augment == "ada":
        ops = tuple(op for op in config.train.ada_ops.split(",") if op)
        state.ada = AdaptiveAugment(config.train.ada_target, config.train.ada_kimg, config.train.ada_interval, ops)
    return state


def compile_models(generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
    """torch.compile both networks (same parameters; checkpoints strip the ``_orig_mod.`` prefix).

    The optimizers were built on the same parameter objects, so they need no change. Compilation happens
    on the first step, and again once for D with frozen parameters (G's update).
    """
    return torch.compile(generator), torch.compile(discriminator)
