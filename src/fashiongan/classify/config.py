"""ClassifyConfig: everything a classifier run needs, saved to RUN_DIR/config.json and read back on resume.

Every field is declared once with ``option()`` (help, choices from the registries, range, flag, whether it
may change on resume), as the GAN's options are; `fashiongan classify train` generates its flags from
these declarations, and the data and device options are declared like the GAN's (``same_as``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from fashiongan.classify.augment import AUGMENTS
from fashiongan.classify.model import PRESETS, get_preset
from fashiongan.classify.synthetic import CHECKPOINTS, MODES
from fashiongan.config import DataConfig, same_as
from fashiongan.errors import UserError
from fashiongan.numbers import MAX_CLASSIFIER_SEED, MAX_IMAGE_SIZE
from fashiongan.option import check_options, check_unchanged, check_value, option, options_of


@dataclass
class ClassifyConfig:
    data: str = same_as("data.source", help="'fmnist' or a folder ROOT/<class>/<images> (or ROOT/train/, "
                        "ROOT/test/)")
    data_dir: str | None = same_as("data.data_dir")
    preset: str = option("fmnist-cnn", "model and recipe: fmnist-cnn, small-cnn (the seeds' 3-conv model), "
                         "binary256 (two classes, 256 px RGB)", choices=tuple(PRESETS), flag="preset")
    image_size: int | None = option(None, "image side in pixels (default: 28 for fmnist, the preset's for folders)",
                                    low=4, high=MAX_IMAGE_SIZE, flag="image-size")
    channels: int | None = same_as("data.channels", None, help="1 = gray, 3 = RGB (default: 1 for fmnist, the "
                                   "preset's for folders)")
    square: str = same_as("data.square")
    epochs: int | None = option(None, "training epochs (default: the preset's; ignored with --minutes)", low=1,
                                high=1_000_000, flag="epochs", fixed=False)
    minutes: float | None = option(None, "a wall-clock budget instead of a number of epochs", above=0.0,
                                   below=100_000.0, flag="minutes", fixed=False)
    max_steps: int | None = option(None, "stop after this many optimizer steps (the study's fixed compute per arm)",
                                   low=1)
    batch_size: int | None = option(None, "images per step (default: the preset's)", low=1, high=65536,
                                    flag="batch-size")
    lr: float | None = option(None, "peak learning rate of the one-cycle schedule (default: the preset's)",
                              above=0.0, below=1.0, flag="lr")
    weight_decay: float = option(5e-4, "AdamW weight decay", low=0.0, high=1.0)
    augment: str = option("none", "classic: random flips and shifts of up to 2/28 of the side; strong: a flip, "
                          "one TrivialAugment op and random erasing", choices=AUGMENTS, flag="augment")
    synthetic: str | None = option(None, "mix in images from this conditional GAN run folder", flag="synthetic")
    synthetic_ratio: float = option(1.0, "synthetic images per real image, each epoch", above=0.0, high=100.0,
                                    flag="synthetic-ratio")
    synthetic_mode: str = option("fresh", "fresh: new GAN images every epoch; cached: one set reused",
                                 choices=MODES, flag="synthetic-mode")
    synthetic_checkpoint: str = option("last", "the GAN checkpoint to sample: last, or best (the held-out choice "
                                       "of a run trained with --holdout)", choices=CHECKPOINTS,
                                       flag="synthetic-checkpoint")
    synthetic_only: bool = option(False, "train on the synthetic images alone, ratio x the real count each "
                                  "epoch (the Classification Accuracy Score's setting)", flag="synthetic-only")
    synthetic_filter: str | None = option(None, "keep only GAN images this classifier run assigns to the class "
                                          "asked for", flag="synthetic-filter")
    synthetic_min_confidence: float = option(0.5, "with --synthetic-filter: the probability it must give that "
                                             "class", low=0.0, high=1.0, flag="synthetic-min-confidence")
    synthetic_truncation: float = option(1.0, "noise std of the GAN images; below 1 trades variety for fidelity",
                                         above=0.0, high=1.0, flag="synthetic-truncation")
    per_class: int | None = option(None, "train on N seeded images per class", low=1, flag="per-class")
    val_fraction: float = option(0.1, "share of the training images held out for validation", above=0.0,
                                 below=1.0, flag="val-fraction")
    precision: str = same_as("train.precision")  # the study trains in bf16 where the CPU has it (twice as fast)
    seed: int = same_as("train.seed", high=MAX_CLASSIFIER_SEED)  # synthetic noise seeds are derived from it
    device: str = same_as("train.device")

    def resolved(self) -> ClassifyConfig:
        """A copy with the preset's defaults filled in and every value checked."""
        check_options(self, flag_of)  # before the preset fills the gaps: --epochs 0 is an error, not "the preset's"
        preset = get_preset(self.preset)
        fmnist = self.data == "fmnist"
        done = dataclasses.replace(
            self,
            image_size=self.image_size or (28 if fmnist else preset.image_size),
            channels=self.channels or (1 if fmnist else preset.channels),
            epochs=self.epochs or preset.epochs,
            batch_size=self.batch_size or preset.batch_size,
            lr=self.lr or preset.lr,
        )
        done.check()
        return done

    def check(self) -> None:
        """Every option against its declaration (errors name the flag), then the checks across options."""
        check_options(self, flag_of)
        if self.data == "fmnist" and (self.image_size, self.channels) != (28, 1):
            raise UserError("Fashion-MNIST is 28x28 grayscale: use --image-size 28 and --channels 1")
        self._check_synthetic()

    def _check_synthetic(self) -> None:
        """The synthetic-image options against their declarations; --synthetic-filter needs --synthetic."""
        for key, f, hint in OPTIONS:
            if key.startswith("synthetic_"):
                check_value(flag_of(key), getattr(self, key), f, hint)
        if self.synthetic_filter is not None and self.synthetic is None:
            raise UserError("--synthetic-filter needs --synthetic GAN_RUN")

    def data_config(self) -> DataConfig:
        return DataConfig(source=self.data, data_dir=self.data_dir, image_size=self.image_size or 28,
                          channels=self.channels or 1, square=self.square)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ClassifyConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        if unknown := sorted(set(values) - names):
            raise UserError(f"classifier config has unknown keys {unknown}: made by another version of fashiongan?")
        return cls(**values)


OPTIONS = options_of(ClassifyConfig)
FLAGS = {key: f.metadata["flag"] for key, f, _ in OPTIONS}


def flag_of(key: str) -> str:
    """How a user sets a classifier option: its flag, or its name where it has none (max_steps)."""
    return f"--{FLAGS[key]}" if FLAGS.get(key) else key


def check_resumable(saved: ClassifyConfig, config: ClassifyConfig) -> None:
    """The fixed-on-resume rule of the GAN's options, for a classifier run (both configs resolved)."""
    check_unchanged(saved, config, OPTIONS, flag_of)
