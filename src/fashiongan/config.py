"""Run configuration: every option is declared once, as a dataclass field with its help and range.

The declaration (``option(...)``) is the only place an option lives: ``validate`` checks values against
it, the ``train`` command generates its flags from it (``cli/options.py``), and ``--set section.key=value``
reaches every field. Presets are short lists of overrides. A run folder's ``config.json`` holds
``RunConfig.to_dict()``; ``generate``, ``evaluate`` and ``--resume`` read it back with ``RunConfig.from_dict``.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from fashiongan.config_rules import check_combinations
from fashiongan.errors import UserError
from fashiongan.option import (
    Declaration,
    check_options,
    check_unchanged,
    check_value,
    describe_range,
    option,
    option_value,
    options_of,
)
from fashiongan.presets import PRESETS
from fashiongan.validation import Rule

__all__ = ["DEVICES", "PRESETS", "DataConfig", "Declaration", "ModelConfig", "RunConfig", "TrainConfig",
           "check_options", "check_resume", "check_value", "describe_range", "make_config", "option", "option_value",
           "options_of", "same_as", "validate"]

IMAGE_SIZES = (28, 32, 64, 128, 256)
DEVICES = ("auto", "cpu", "cuda")  # every command's --device: 'auto' is CUDA when there is a GPU
LOSSES = ("bce", "hinge", "rpgan", "lsgan", "wgan")  # training/losses.py LOSSES (test_registries checks they agree)


def same_as(key: str, default: Any = dataclasses.MISSING, **changes: Any) -> Any:
    """An option of another command declared exactly like the run-config option ``key`` ("section.name"):
    the same help, choices, range and flag, with ``default`` and any of ``option``'s fields changed."""
    declared, _ = declaration(key)
    meta = dict(declared.metadata) | changes
    return field(default=declared.default if default is dataclasses.MISSING else default, metadata=meta)


@dataclass
class DataConfig:
    source: str = option("fmnist", "'fmnist' or a folder ROOT/<class>/<images>", flag="data")
    data_dir: str | None = option(None, "folder holding the Fashion-MNIST IDX files (default: search)",
                                  flag="data-dir", fixed=False)
    image_size: int = option(28, "image side in pixels", choices=IMAGE_SIZES, flag="image-size")
    channels: int = option(1, "1 = grayscale, 3 = RGB (folders; Fashion-MNIST is gray)", choices=(1, 3),
                           flag="channels")
    square: str = option("crop", "make folder images square by center-crop or pad (white)", choices=("crop", "pad"),
                         flag="square")
    limit: int | None = option(None, "train on a seeded random subset of this many images", low=1, flag="limit")
    classes: str | None = option(None, "only these classes: a comma list of names or indices, e.g. Sandal,Bag or 5-9",
                                 flag="classes")
    per_class: int | None = option(None, "train on a seeded subset of this many images of each class (the study's "
                                   "draw)", low=1, high=10_000_000, flag="per-class")
    holdout_per_class: int = option(0, "images of each class held out of training to score checkpoints and watch "
                                    "for copies (0: none; never the test split)", low=0, high=100_000,
                                    flag="holdout")
    cache_dir: str | None = option(None, "decoded-folder cache (default: the user cache folder)", fixed=False)


@dataclass
class ModelConfig:
    generator: str = option("dcgan", "generator: dcgan (ConvTranspose + BN), cbn (class-conditional BN), resnet "
                            "(cBN residual blocks, 64-256 px)", choices=("dcgan", "cbn", "resnet"), flag="generator")
    discriminator: str = option("conv", "discriminator: conv (DCGAN), mlp, sn (spectral norm + projection), "
                                "resnet (spectral-norm residual blocks + projection)",
                                choices=("conv", "mlp", "sn", "resnet"), flag="discriminator")
    z_dim: int = option(100, "noise size", low=1, high=4096, flag="z-dim")
    conditional: bool = option(True, "condition G and D on the class label", flag="conditional")
    num_classes: int = option(10, "number of classes (derived from the data when training starts)", low=1,
                              high=100_000, fixed=False)
    embed_dim: int = option(50, "class embedding size (dcgan/mlp)", low=1, high=4096)
    g_channels: int = option(128, "channels of the generator's first (smallest) map", low=1, high=4096,
                             flag="g-channels")
    g_max_channels: int = option(512, "channel cap of the generator", low=1, high=4096)
    g_init_size: int | None = option(None, "side of the first map (default: 7 for 28 px, else 4)", low=1, high=64)
    g_norm: str = option("batch", "dcgan generator normalisation", choices=("batch", "none"))
    g_activation: str = option("relu", "dcgan generator activation", choices=("relu", "lrelu"))
    g_upsample: str = option("nearest", "cbn/resnet upsampling: nearest + 3x3 conv (no checkerboard) or "
                             "ConvTranspose", choices=("nearest", "convt"))
    d_channels: int = option(64, "channels of the first discriminator conv", low=1, high=4096, flag="d-channels")
    d_max_channels: int = option(512, "channel cap of the discriminator", low=1, high=4096)
    d_depth: int = option(2, "sn discriminator convs per scale: 2 (3x3 + 4x4 stride 2, SNGAN) or 1 (stride 2 only)",
                          low=1, high=2)
    d_norm: str = option("none", "conv discriminator normalisation", choices=("none", "batch", "layer"))
    d_dropout: float = option(0.0, "discriminator dropout", low=0.0, high=0.95)
    d_minibatch_std: bool = option(False, "append the batch's feature std (fights mode collapse)")
    mlp_hidden: int = option(512, "width of the MLP discriminator's two dense layers", low=1, high=65536)


@dataclass
class TrainConfig:
    epochs: int | None = option(None, "total epochs (default: 50, or unlimited with a time budget)", low=1,
                                flag="epochs", fixed=False)
    seconds: float | None = option(None, "training time budget in seconds (kept across --resume); "
                                   "see also --minutes", low=0.0, flag="seconds", fixed=False)
    batch_size: int = option(128, "images per step", low=1, high=65536, flag="batch-size")
    batch_start: int = option(0, "images per step at first, doubled every batch_double_kimg thousand images up to "
                              "batch_size (0 or >= batch_size: no growth)", low=0, high=65536, flag="batch-start")
    batch_double_kimg: float = option(20.0, "thousands of images between doublings from batch_start", low=0.001)
    lr_start_factor: float = option(1.0, "lr_g and lr_d times this at batch_start, geometrically down to 1x at "
                                    "batch_size (1: off)", low=0.01, high=100.0, flag="lr-start-factor")
    lr_g: float = option(1e-4, "generator Adam learning rate", low=1e-8, high=1.0)
    lr_d: float = option(1e-4, "discriminator Adam learning rate", low=1e-8, high=1.0)
    beta1: float = option(0.5, "Adam beta1", low=0.0, high=0.999)
    beta2: float = option(0.999, "Adam beta2", low=0.0, high=0.99999)
    lr_schedule: str = option("constant", "learning-rate schedule over training (or over the time budget)",
                              choices=("constant", "linear", "cosine"), flag="lr-schedule")
    lr_decay_start: float = option(0.0, "fraction of training after which the lr starts to decay", low=0.0,
                                   high=1.0)
    lr_decay_floor: float = option(0.1, "final lr as a fraction of the initial one", low=0.0, high=1.0)
    loss: str = option("bce", "adversarial loss, see training/losses.py", choices=LOSSES, flag="loss")
    r1_gamma: float = option(0.0, "R1 penalty weight (zero-centred gradient penalty on reals; 0: off)", low=0.0,
                             high=1e6, flag="r1")
    r2_gamma: float = option(0.0, "R2 penalty weight (on fakes; 0: off)", low=0.0, high=1e6, flag="r2")
    gp_weight: float = option(0.0, "WGAN-GP gradient penalty weight (0: off)", low=0.0, high=1e6)
    penalty_every: int = option(1, "apply R1/R2/GP every K steps (lazy regularisation, scaled by K)", low=1,
                                high=1000)
    aux_weight: float = option(0.0, "weight of the discriminator's auxiliary class loss (0: no class head)",
                               low=0.0, high=100.0, flag="aux-weight")
    mode_seeking: float = option(0.0, "weight of the mode-seeking term: G is paid for making two noises of one "
                                 "class give different images (Mao et al. 2019; 0: off)", low=0.0, high=100.0,
                                 flag="mode-seeking")
    blend_start: float = option(0.0, "train unconditionally until this fraction of training, then blend the labels "
                                "in (Shahbazi et al. 2022); needs cbn/resnet G and sn/resnet D", low=0.0, high=1.0)
    blend_end: float = option(0.0, "fraction of training where the labels are fully in (0: no blending)", low=0.0,
                              high=1.0)
    ema_kimg: float = option(0.0, "half-life of the generator EMA in thousands of images (0: no EMA)", low=0.0,
                             high=1e6, flag="ema-kimg")
    ema_rampup: float = option(0.05, "EMA half-life is at most this share of the images seen so far (0: none)",
                               low=0.0, high=1.0)
    augment: str = option("none", "augmentation of D's inputs: none, ada (adaptive, Karras et al. 2020), or a "
                          "DiffAugment comma list of translation, cutout, color", flag="augment")
    ada_target: float = option(0.6, "ada: the mean sign of D on reals that the augmentation probability aims at",
                               low=0.0, high=1.0, flag="ada-target")
    ada_kimg: float = option(100.0, "ada: thousands of images over which p may go from 0 to 1 (its speed)", low=0.1,
                             high=1e6)
    ada_interval: int = option(4, "ada: steps between adjustments of p", low=1, high=10_000)
    ada_ops: str = option("blit,geom,color,cutout", "ada: comma list of the op groups applied (blit: flip and "
                          "integer shift; geom: scale and rotation; color; cutout)")
    init_from: str | None = option(None, "start G, D and the EMA copy from this run or model folder (fine-tuning)",
                                   flag="init-from")
    init_start: str = option("order", "new classes start in G as the source's classes in turn, or each as the "
                             "one its D sees in them (nearest)", choices=("order", "nearest"), flag="init-start")
    freeze_d: int = option(0, "keep the first K blocks of D frozen (FreezeD, Mo et al. 2020; with --init-from)",
                           low=0, high=64, flag="freeze-d")
    epoch_images: int = option(0, "an epoch shows at least this many images: small data is repeated within it, so "
                               "records, grids and checkpoints come every so many images (0: one pass)", low=0,
                               high=100_000_000)
    select_kimg: float = option(0.0, "thousands of images between held-out scores that keep checkpoints/best "
                                "(needs --holdout; 0: off)", low=0.0, high=1e6, flag="select-kimg", fixed=False)
    select_features: str = option("auto", "features of held-out scores: the evaluator that fits the data, random "
                                  "(a fixed random network: no other data involved), or auto (evaluator if one "
                                  "fits, else random)", choices=("auto", "evaluator", "random"), fixed=False)
    select_n: int = option(1000, "generated images per held-out score", low=50, high=100_000, fixed=False)
    select_after: float = option(0.0, "share of the run (time budget, else epochs) before which a held-out score "
                                 "is recorded but cannot make checkpoints/best", low=0.0, high=1.0, fixed=False)
    patience: int = option(0, "stop when this many held-out scores in a row did not improve (0: never)", low=0,
                           high=100_000, flag="patience", fixed=False)
    precision: str = option("fp32", "fp32, bf16 autocast, or auto (bf16 where the device has it natively)",
                            choices=("fp32", "bf16", "auto"), flag="precision", fixed=False)
    channels_last: bool = option(False, "channels_last memory format", fixed=False)
    compile: bool = option(False, "torch.compile the models", flag="compile", fixed=False)
    threads: int | None = option(None, "CPU threads (default: physical cores)", low=1, high=1024, flag="threads",
                                 fixed=False)
    seed: int = option(0, "seed of weights, noise and data order", low=0, high=2**63 - 1, flag="seed")
    device: str = option("auto", "where to train", choices=DEVICES, flag="device", fixed=False)
    log_every: int = option(50, "steps between reading the losses back to the host (bar, NaN check)", low=1,
                            high=1_000_000, fixed=False)
    sample_every: int = option(1, "epochs between fixed-noise grids (the last epoch always gets one)", low=1,
                               high=1_000_000, fixed=False)
    checkpoint_every: int = option(1, "epochs between checkpoints (the last epoch and every stop always save one)",
                                   low=1, high=1_000_000, fixed=False)
    eval_every: int = option(0, "epochs between in-training evaluations (0: off)", low=0, high=1_000_000,
                             flag="eval-every", fixed=False)
    eval_n: int = option(2000, "generated images per in-training evaluation", low=100, high=1_000_000,
                         flag="eval-n", fixed=False)
    evaluator: str | None = option(None, "evaluator weights for in-training evaluation (default: the shipped one)",
                                   flag="evaluator", fixed=False)
    tensorboard: bool = option(False, "also log scalars for TensorBoard", flag="tensorboard", fixed=False)
    sync_batchnorm: bool = option(False, "torchrun on GPUs: G's BatchNorm uses the global batch's statistics "
                                  "(SyncBatchNorm), not each rank's", flag="sync-batchnorm", fixed=False)


DEFAULT_EPOCHS = 50
SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
LEGACY_KEYS = {("train", "lr_decay"): ("train", "lr_schedule")}  # earlier versions' keys → their new names


@dataclass
class RunConfig:
    preset: str = "fmnist"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Any) -> RunConfig:
        """Rebuild from ``to_dict()`` output and validate it; unknown keys are an error, missing ones take defaults."""
        if not isinstance(d, dict) or not all(isinstance(d.get(s, {}), dict) for s in SECTIONS):
            raise UserError("config must be a JSON object with 'data', 'model' and 'train' objects")
        sections = {name: dict(d.get(name, {})) for name in SECTIONS}
        for (old_section, old_key), (new_section, new_key) in LEGACY_KEYS.items():
            if old_key in sections[old_section]:
                value = sections[old_section].pop(old_key)
                sections[new_section].setdefault(new_key, "constant" if value == "none" else value)
        config = cls(preset=str(d.get("preset", "custom")))
        for name, values in sections.items():
            for key, value in values.items():
                if key not in field_names(SECTIONS[name]):
                    raise UserError(f"unknown config key '{name}.{key}' (is the config from another version?)")
                setattr(getattr(config, name), key, value)
        validate(config)
        return config

    def with_num_classes(self, num_classes: int) -> RunConfig:
        """A copy with ``num_classes`` classes (from the data or a checkpoint); the caller's config is kept."""
        derived = copy.deepcopy(self)
        derived.model.num_classes = num_classes
        return derived

    def epochs_or_default(self) -> int | None:
        """The epoch limit: the configured one, else 50 without a time budget, else none."""
        if self.train.epochs is not None:
            return self.train.epochs
        return None if self.train.seconds is not None else DEFAULT_EPOCHS


def field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def declarations() -> list[Declaration]:
    """Every run-config option as ("section.key", field, annotated type), in declaration order."""
    return [d for section, cls in SECTIONS.items() for d in options_of(cls, f"{section}.")]


def declaration(key: str) -> tuple[dataclasses.Field, Any]:
    for name, f, hint in declarations():
        if name == key:
            return f, hint
    raise UserError(f"unknown config key {key!r}; see `fashiongan train --help-config`")


def option_rule(key: str) -> Rule:
    """What option ``key`` ("section.key") accepts, for checking the same value in another file."""
    return Rule.from_field(*declaration(key))


def make_config(preset: str = "fmnist", overrides: dict[str, Any] | None = None) -> RunConfig:
    """The preset's config with ``overrides`` ("section.key" -> value) applied, then validated."""
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    config = RunConfig(preset=preset)
    apply_overrides(config, PRESETS[preset])
    apply_overrides(config, overrides or {})
    validate(config)
    return config


def apply_overrides(config: RunConfig, overrides: dict[str, Any]) -> None:
    for dotted, value in overrides.items():
        section_name, _, key = dotted.partition(".")
        if section_name not in SECTIONS or key not in field_names(SECTIONS[section_name]):
            raise UserError(f"unknown config key {dotted!r}")
        setattr(getattr(config, section_name), key, value)


def check_resume(saved: RunConfig, config: RunConfig, world_size: int = 1, saved_world_size: int = 1) -> None:
    """The run config's fixed-on-resume rule (``check_unchanged``), errors naming each option's flag.
    ``train.batch_size`` and ``batch_start`` are each rank's share: a run may move to another number of ranks
    (``world_size``; ``saved_world_size`` before) with the shares changed so that the global values stay."""
    skip = tuple(f"train.{key}" for key in ("batch_size", "batch_start")
                 if getattr(saved.train, key) * saved_world_size == getattr(config.train, key) * world_size)
    check_unchanged(saved, config, [d for d in declarations() if d[0] not in skip], flag_name)


def flag_name(key: str) -> str:
    """How the user sets the run-config option ``key``: its flag, or --set."""
    f, _ = declaration(key)
    return f"--{f.metadata['flag']}" if f.metadata["flag"] else f"--set {key}"


def validate(config: RunConfig) -> None:
    """Every option against its declaration, then the checks that involve several options (config_rules.py)."""
    for key, f, hint in declarations():
        section, _, name = key.partition(".")
        check_value(key, getattr(getattr(config, section), name), f, hint)
    check_combinations(config)
