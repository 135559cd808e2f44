"""Presets: short, named lists of overrides ("section.key": value) on the option defaults in config.py.

Kept apart from the option declarations so that choosing settings (by measurement, docs/quality.md)
and declaring what can be set are two separate files.
"""

from __future__ import annotations

from typing import Any

# Each preset is a short list of overrides on the defaults above ("section.key": value).
MODERN_ENGINE = {  # shared by the -best presets: see docs/quality.md for how each part was measured
    "model.generator": "cbn",
    "model.discriminator": "sn",
    "train.loss": "hinge",
    "train.aux_weight": 0.3,
    "train.lr_g": 1e-3,
    "train.lr_d": 1e-3,
    "train.beta1": 0.0,
    "train.beta2": 0.9,
    "train.lr_schedule": "linear",
    "train.lr_decay_start": 0.5,
    "train.lr_decay_floor": 0.0,
    "train.ema_kimg": 10.0,
    "train.precision": "auto",
    "train.channels_last": True,
    "train.epoch_images": 20_000,  # records, grids and checkpoints every 20,000 images at least, whatever the data size
}
PRESETS: dict[str, dict[str, Any]] = {
    "fmnist-best": {
        **MODERN_ENGINE,
        "model.g_channels": 64,
        "model.d_channels": 32,
        "model.d_depth": 1,
        "train.batch_size": 64,
        # v2 (docs/quality.md): the non-saturating loss at a constant lr, with the EMA, beat hinge with lr decay
        # on FID (8.9-10.6 against 26.6-29.9) and recall over two seeds at 10 minutes
        "train.loss": "bce",
        "train.lr_schedule": "constant",
        # v2.1 (docs/quality.md): batches of 16 for the first 20,000 images, 32 for the next 20,000, then 64:
        # class accuracy at 20 s 0.38-0.43 against 0.25-0.29; at 10 minutes level (FID 21.0/23.7, recall 0.556/0.574)
        "train.batch_start": 16,
        "train.seconds": 600.0,  # ten minutes unless --minutes/--seconds say otherwise
    },
    "fewshot": {  # 10-1,000 images per class (docs/fewshot.md): fmnist-best v1 (hinge, lr decay) with ADA
        **MODERN_ENGINE,
        "model.g_channels": 64,
        "model.d_channels": 32,
        "model.d_depth": 1,
        "train.batch_size": 64,
        "train.augment": "ada",
        "train.seconds": 600.0,
    },
    "folder-best": {
        **MODERN_ENGINE,
        "data.source": "",  # must be given with --data DIR
        "data.image_size": 64,
        # v2 (docs/fewshot.md, 64-px folders): fmnist-best's compact nets scaled to 64 px, adaptive augmentation,
        # and the mode-seeking term, which ends the one-image-per-class collapse of v1 (ResNet G and D); v3: a
        # stronger class head with a stronger term beat v2 on FID, recall and class accuracy over two seeds; v4:
        # D at half G's lr with a class head of 0.8 beat v3 on FID on both seeds (58.4/50.4 against 70.6/57.8),
        # recall and class accuracy level (0.290/0.266, 0.905/0.870); v5: the non-saturating loss at a constant lr
        # (fmnist-best v2's change) and the term at 0.8 beat v4 on recall (0.312/0.368) and class accuracy
        # (0.916/0.895) over two seeds, FID 4 worse (56.8/60.8)
        "model.g_channels": 128,
        "model.d_channels": 16,
        "model.d_depth": 1,
        "model.d_max_channels": 256,
        "train.batch_size": 64,
        "train.loss": "bce",
        "train.lr_schedule": "constant",
        "train.lr_d": 5e-4,
        "train.augment": "ada",
        "train.aux_weight": 0.8,
        "train.mode_seeking": 0.8,
        "train.seconds": 1200.0,
    },
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
        "train.lr_schedule": "linear",
        "train.lr_g": 2e-4,
        "train.lr_d": 2e-4,
    },
}
