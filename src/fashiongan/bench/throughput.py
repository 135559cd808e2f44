"""The toolkit's own paths as callables to time: one training step as the loop runs it, and generation."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from fashiongan.config import RunConfig
from fashiongan.data.batches import epoch_order, gather_batch, place_images
from fashiongan.data.dataset import ImageDataset
from fashiongan.generate import class_labels, sample
from fashiongan.models.layers import scale_to_unit
from fashiongan.training.ema import ema_beta
from fashiongan.training.state import GANState
from fashiongan.training.step import train_step
from fashiongan.training.tracking import EpochMeter


def endless_batches(num_items: int, batch_size: int, seed: int, device: torch.device) -> Iterator[torch.Tensor]:
    """Index batches epoch after epoch, drawn as the training loop draws them, kept where the images are."""
    rng = torch.Generator().manual_seed(seed)
    while True:
        yield from epoch_order(num_items, batch_size, rng, device)


def training_step(state: GANState, config: RunConfig, data: ImageDataset) -> Callable[[], None]:
    """One full loop iteration: gather a uint8 batch, scale it on the device, D + G step, EMA, device-side stats."""
    device = state.recipe.device
    images = place_images(data.images, device)
    labels = data.labels.to(images.device)
    batches = endless_batches(len(data), config.train.batch_size, config.train.seed, images.device)
    beta = ema_beta(config.train.batch_size, config.train.ema_kimg, 10**9, config.train.ema_rampup)
    meter = EpochMeter()
    conditional = config.model.conditional

    def step() -> None:
        real_uint8, real_labels = gather_batch(images, labels, next(batches), device)
        real = scale_to_unit(real_uint8)
        meter.add(train_step(state, real, real_labels if conditional else None, beta), real.shape[0])

    return step


def generation(state: GANState, n: int, dtype: torch.dtype | None) -> Callable[[], torch.Tensor]:
    """``generate``'s path: ``sample`` draws n images (seeds 0..n-1, classes cycling) from the sampler network."""
    generator = state.sampler()
    device = state.recipe.device
    labels = class_labels(n, state.recipe.num_classes, None) if state.recipe.num_classes > 0 else None
    seeds = list(range(n))
    return lambda: sample(generator, seeds, labels, device, dtype=dtype)
