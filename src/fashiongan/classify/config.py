"""ClassifyConfig: everything a classifier run needs, saved to RUN_DIR/config.json and read back on resume."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from fashiongan.classify.augment import check_augment
from fashiongan.classify.model import get_preset
from fashiongan.classify.synthetic import MODES
from fashiongan.config import DataConfig
from fashiongan.errors import UserError
from fashiongan.numbers import MAX_CLASSIFIER_SEED, MAX_IMAGE_SIZE


@dataclass
class ClassifyConfig:
    data: str = "fmnist"  # "fmnist" or a folder ROOT/<class>/<images> (or ROOT/train, ROOT/test)
    data_dir: str | None = None  # where the Fashion-MNIST IDX files are (None: search)
    preset: str = "fmnist-cnn"
    image_size: int | None = None  # None: 28 for Fashion-MNIST, the preset's side for folders
    channels: int | None = None  # None: 1 for Fashion-MNIST, the preset's for folders
    square: str = "crop"
    epochs: int | None = None  # None: the preset's (ignored when minutes is set)
    minutes: float | None = None  # a wall-clock budget instead of a number of epochs
    max_steps: int | None = None  # stop after this many optimizer steps (the study's fixed compute per arm)
    batch_size: int | None = None  # None: the preset's
    lr: float | None = None  # peak learning rate of the one-cycle schedule (None: the preset's)
    weight_decay: float = 5e-4
    augment: str = "none"  # "none" or "classic"
    synthetic: str | None = None  # a conditional GAN run folder whose images are mixed in
    synthetic_ratio: float = 1.0  # synthetic images per real image, each epoch
    synthetic_mode: str = "fresh"  # "fresh" (new images every epoch) or "cached" (one set)
    synthetic_filter: str | None = None  # a classifier run: keep GAN images it assigns to the asked class
    synthetic_min_confidence: float = 0.5  # ... with at least this probability
    synthetic_truncation: float = 1.0  # noise std of the GAN images; below 1 trades variety for fidelity
    per_class: int | None = None  # keep this many training images per class (seeded)
    val_fraction: float = 0.1  # share of the training images held out for validation
    seed: int = 0
    device: str = "auto"

    def resolved(self) -> ClassifyConfig:
        """A copy with the preset's defaults filled in and every value checked."""
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
        check_augment(self.augment)
        if self.data == "fmnist" and (self.image_size, self.channels) != (28, 1):
            raise UserError("Fashion-MNIST is 28x28 grayscale: use --image-size 28 and --channels 1")
        if self.channels not in (1, 3):
            raise UserError(f"--channels must be 1 or 3; got {self.channels}")
        if self.square not in ("crop", "pad"):
            raise UserError(f"--square must be crop or pad; got {self.square!r}")
        for flag, value, low in (("--epochs", self.epochs, 1), ("--batch-size", self.batch_size, 1),
                                 ("--image-size", self.image_size, 4), ("--per-class", self.per_class, 1),
                                 ("max_steps", self.max_steps, 1)):
            if value is not None and value < low:
                raise UserError(f"{flag} must be at least {low}; got {value}")
        if not 0 <= self.seed <= MAX_CLASSIFIER_SEED:
            raise UserError(f"--seed must be from 0 to {MAX_CLASSIFIER_SEED}; got {self.seed}")
        if (self.image_size or 4) > MAX_IMAGE_SIZE:
            raise UserError(f"--image-size must be at most {MAX_IMAGE_SIZE}; got {self.image_size}")
        if self.minutes is not None and not self.minutes > 0:
            raise UserError(f"--minutes must be more than 0; got {self.minutes}")
        if not 0 < (self.lr or 1e-3) < 1:
            raise UserError(f"--lr must be between 0 and 1; got {self.lr}")
        if not 0 < self.val_fraction < 1:
            raise UserError(f"--val-fraction must be between 0 and 1; got {self.val_fraction}")
        self._check_synthetic()

    def _check_synthetic(self) -> None:
        if self.synthetic_mode not in MODES:
            raise UserError(f"--synthetic-mode must be one of {', '.join(MODES)}; got {self.synthetic_mode!r}")
        if not 0 <= self.synthetic_min_confidence <= 1:
            raise UserError(f"--synthetic-min-confidence must be in [0, 1]; got {self.synthetic_min_confidence}")
        if self.synthetic_filter is not None and self.synthetic is None:
            raise UserError("--synthetic-filter needs --synthetic GAN_RUN")
        if not 0 < self.synthetic_truncation <= 1:
            raise UserError(f"--synthetic-truncation must be in (0, 1]; got {self.synthetic_truncation}")
        if not 0 < self.synthetic_ratio <= 100:
            raise UserError(f"--synthetic-ratio must be in (0, 100]; got {self.synthetic_ratio}")

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
