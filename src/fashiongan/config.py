"""Run configuration: typed dataclasses, presets as short lists of overrides.

A run folder's ``config.json`` holds ``RunConfig.to_dict()``; ``generate``, ``evaluate`` and
``--resume`` read it back with ``RunConfig.from_dict`` so nobody re-types hyperparameters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from fashiongan.errors import UserError

IMAGE_SIZES = (28, 32, 64, 128, 256)


@dataclass
class DataConfig:
    source: str = "fmnist"  # "fmnist" or a folder ROOT/<class>/<images>
    data_dir: str | None = None  # where the Fashion-MNIST IDX files are (None: search)
    image_size: int = 28
    channels: int = 1  # 1 = grayscale, 3 = RGB (folders only; Fashion-MNIST is gray)
    square: str = "crop"  # make non-square images square: "crop" (center) or "pad"
    limit: int | None = None  # train on a seeded random subset of this many images
    cache_dir: str | None = None  # decoded-folder cache (None: the user cache folder)


@dataclass
class ModelConfig:
    z_dim: int = 100
    conditional: bool = True
    num_classes: int = 10  # set from the data at build time
    embed_dim: int = 50  # size of the class embedding joined to the noise
    g_channels: int = 128  # channels of the first (smallest) generator map
    g_max_channels: int = 512
    g_init_size: int | None = None  # side of the first map; None: 7 for 28 px, else 4
    g_norm: str = "batch"  # "batch" or "none"
    g_activation: str = "relu"  # "relu" or "lrelu"
    discriminator: str = "conv"  # "conv" or "mlp"
    d_channels: int = 64  # channels of the first discriminator conv
    d_max_channels: int = 512
    d_norm: str = "none"  # "none", "batch" or "layer"
    d_dropout: float = 0.0
    d_minibatch_std: bool = False  # append the batch's feature std (fights mode collapse)
    mlp_hidden: int = 512  # width of the MLP discriminator's two dense layers


@dataclass
class TrainConfig:
    epochs: int = 50
    batch_size: int = 128
    lr_g: float = 1e-4
    lr_d: float = 1e-4
    beta1: float = 0.5
    beta2: float = 0.999
    lr_decay: str = "none"  # "none" or "linear" (to lr_decay_floor * lr at the last epoch)
    lr_decay_floor: float = 0.1
    loss: str = "bce"  # D/G loss pair, see fashiongan.training.losses.LOSSES
    seed: int = 0
    device: str = "auto"  # "auto", "cpu" or "cuda"
    sample_every: int = 1  # epochs between fixed-noise grids
    eval_every: int = 0  # epochs between in-training evaluations (0: off)
    eval_n: int = 2000  # generated images per in-training evaluation
    evaluator: str | None = None  # evaluator weights for in-training evaluation (None: the shipped one)
    tensorboard: bool = False


@dataclass
class RunConfig:
    preset: str = "fmnist"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        """Rebuild from ``to_dict()`` output; unknown keys are an error, missing keys take defaults."""
        try:
            return cls(
                preset=d.get("preset", "custom"),
                data=_build(DataConfig, d.get("data", {})),
                model=_build(ModelConfig, d.get("model", {})),
                train=_build(TrainConfig, d.get("train", {})),
            )
        except TypeError as exc:
            raise UserError(f"config does not match this version of fashiongan ({exc})") from None


def _build(cls: type, values: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - names
    if unknown:
        raise UserError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
    return cls(**values)


# Each preset is a short list of overrides on the defaults above ("section.key": value).
PRESETS: dict[str, dict[str, Any]] = {
    "fmnist": {},
    "fmnist-mlp": {"model.discriminator": "mlp"},
    "folder128": {
        "data.source": "",  # must be given with --data DIR
        "data.image_size": 128,
        "data.channels": 1,
        "model.g_channels": 512,
        "model.g_init_size": 8,
        "model.d_channels": 32,
        "train.batch_size": 32,
        "train.epochs": 150,
        "train.lr_decay": "linear",
        "train.lr_g": 2e-4,
        "train.lr_d": 2e-4,
    },
}


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
        section = getattr(config, section_name, None)
        if section is None or not hasattr(section, key):
            raise UserError(f"unknown config key {dotted!r}")
        setattr(section, key, value)


def _check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices:
        raise UserError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")


def validate(config: RunConfig) -> None:
    """Range and choice checks, one clear sentence per problem."""
    data, model, train = config.data, config.model, config.train
    if not data.source:
        raise UserError(f"preset {config.preset!r} needs a dataset folder: pass --data DIR")
    _check_choice("image size", data.image_size, IMAGE_SIZES)
    _check_choice("channels", data.channels, (1, 3))
    _check_choice("square", data.square, ("crop", "pad"))
    if data.source == "fmnist" and (data.image_size != 28 or data.channels != 1):
        raise UserError("Fashion-MNIST is 28x28 grayscale: use --image-size 28 and 1 channel")
    if data.limit is not None and data.limit < 1:
        raise UserError(f"--limit must be at least 1; got {data.limit}")
    _check_choice("discriminator", model.discriminator, ("conv", "mlp"))
    _check_choice("g_norm", model.g_norm, ("batch", "none"))
    _check_choice("g_activation", model.g_activation, ("relu", "lrelu"))
    _check_choice("d_norm", model.d_norm, ("none", "batch", "layer"))
    _check_choice("lr_decay", train.lr_decay, ("none", "linear"))
    _check_choice("device", train.device, ("auto", "cpu", "cuda"))
    for name, value in (("--epochs", train.epochs), ("--batch-size", train.batch_size), ("z_dim", model.z_dim)):
        if value < 1:
            raise UserError(f"{name} must be at least 1; got {value}")
    for name, value in (("lr_g", train.lr_g), ("lr_d", train.lr_d)):
        if not 0 < value < 1:
            raise UserError(f"{name} must be between 0 and 1; got {value}")
    if not 0 <= model.d_dropout < 1:
        raise UserError(f"d_dropout must be in [0, 1); got {model.d_dropout}")
    if train.eval_every < 0 or train.sample_every < 1:
        raise UserError("--eval-every must be >= 0 and sample_every >= 1")
