"""What each epoch of a classifier trains on: the real images, then the synthetic ones mixed in.

The synthetic images come from a conditional GAN run (``--synthetic``, sampled through the one sampling
path) or from a fixed pool of labelled extra images passed by the caller (the study's GAN pools and
pseudo-labelled images). Real images come first in an epoch's dataset, so a step can count them.
"""

from __future__ import annotations

import torch

from fashiongan.classify.config import ClassifyConfig
from fashiongan.classify.synthetic import ConfidenceFilter, SyntheticMixer, SyntheticSource
from fashiongan.data.dataset import ImageDataset
from fashiongan.errors import UserError


def build_mixer(config: ClassifyConfig, train: ImageDataset, device: torch.device,
                pool: ImageDataset | None = None) -> SyntheticMixer | None:
    """The mixer of a run's synthetic images: from ``pool`` when given, else from ``config.synthetic``'s GAN."""
    if pool is not None:
        if pool.class_names != train.class_names:
            raise UserError(f"the pool of extra images has classes {pool.class_names}, not {train.class_names}")
        return SyntheticMixer(None, config.synthetic_ratio, "fresh", config.seed, pool=pool)
    if config.synthetic is None:
        if config.synthetic_only:
            raise UserError("--synthetic-only needs --synthetic GAN_RUN")
        return None
    source = SyntheticSource.open(config.synthetic, train.class_names, device, config.synthetic_truncation,
                                  config.synthetic_checkpoint)
    source.check_shape(train)
    confidence_filter = None
    if config.synthetic_filter is not None:
        from fashiongan.classify.predict import load_classifier

        model, _, names = load_classifier(config.synthetic_filter, str(device))
        if names != train.class_names:
            raise UserError(f"--synthetic-filter {config.synthetic_filter} knows classes {names}, "
                            f"not the data's {train.class_names}")
        confidence_filter = ConfidenceFilter(model, config.synthetic_min_confidence, device)
    return SyntheticMixer(source, config.synthetic_ratio, config.synthetic_mode, config.seed, confidence_filter)


def epoch_data(train: ImageDataset, mixer: SyntheticMixer | None, epoch: int, cap: int | None,
               synthetic_only: bool = False) -> tuple[ImageDataset, int]:
    """The epoch's images, real ones first, then this epoch's synthetic ones; and how many are real.

    With a step budget (``cap`` images left), a seeded share of the real images is taken first, so no
    synthetic image is drawn that the budget could not use. ``synthetic_only`` keeps the synthetic ones alone.
    """
    if mixer is None:
        return train, len(train)
    if cap is not None and len(train) * (1 + mixer.ratio) > cap:
        train = train.random_subset(max(1, int(cap / (1 + mixer.ratio))), seed=mixer.seed * 7919 + epoch)
    fake = mixer.for_epoch(train, epoch)
    if synthetic_only:
        return ImageDataset(fake.images, fake.labels, list(train.class_names)), 0
    return ImageDataset(torch.cat([train.images, fake.images]), torch.cat([train.labels, fake.labels]),
                        list(train.class_names)), len(train)
