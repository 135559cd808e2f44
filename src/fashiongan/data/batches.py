"""Shuffled uint8 batches. Scaling to [-1, 1] happens on the device (models.layers.scale_to_unit)."""

from __future__ import annotations

import torch

from fashiongan.errors import UserError


def epoch_order(
    num_items: int, batch_size: int, generator: torch.Generator, device: torch.device | str | None = None,
    keep_tail: bool = False,
) -> list[torch.Tensor]:
    """One epoch of shuffled index batches from ``generator`` (a dedicated RNG, saved for exact resume).

    Batches are all the same size: the last partial batch is dropped when there is more than one batch,
    so BatchNorm never sees a batch of one and the per-step cost stays constant. With ``keep_tail`` it
    joins the last full batch instead (that one is then up to twice as large), so every item is shown
    exactly once per epoch: the classifiers' rule, which the study's equal-exposure count relies on.
    The permutation is drawn
    on the CPU (the same order on every device, so a resume is exact anywhere) and, with ``device``, moved
    there in one copy per epoch: the batches are views of it and a step sends no indices to the device.
    """
    batch_size = min(batch_size, num_items)
    order = torch.randperm(num_items, generator=generator)
    if device is not None:
        order = order.to(device)
    num_batches = max(1, num_items // batch_size)
    batches = list(order[: num_batches * batch_size].view(num_batches, batch_size).unbind(0))
    if keep_tail and num_batches * batch_size < num_items:
        batches[-1] = order[(num_batches - 1) * batch_size :]
    return batches


def epoch_shard(num_items: int, batch_size: int, generator: torch.Generator, rank: int = 0,
                world_size: int = 1, keep_tail: bool = False) -> list[torch.Tensor]:
    """This rank's batches of one epoch when ``world_size`` processes train together (data parallel).

    Every rank draws the same permutation from the shared ``generator`` and cuts it into global batches of
    ``batch_size × world_size``; rank r takes the r-th slice of each. So the ranks' batches are disjoint, their
    union at each step is the batch one process would take with the global batch size, and every rank does
    the same number of steps: the tail that does not fill a global batch is dropped (it changes each epoch).
    ``keep_tail`` (one process only) keeps it in the last batch (``epoch_order``).
    """
    if world_size == 1:
        return epoch_order(num_items, batch_size, generator, keep_tail=keep_tail)
    per_rank = min(batch_size, num_items // world_size)
    if per_rank < 1:
        raise UserError(f"{num_items} training images cannot be shared among {world_size} ranks; use more data "
                        "(--limit) or fewer processes")
    return [batch[rank * per_rank : (rank + 1) * per_rank]
            for batch in epoch_order(num_items, per_rank * world_size, generator)]


def place_images(images: torch.Tensor, device: torch.device, max_bytes: int = 2 << 30) -> torch.Tensor:
    """Put the whole uint8 dataset on the device when it fits in ``max_bytes``; else keep it on the CPU."""
    if device.type != "cpu" and images.numel() <= max_bytes:
        return images.to(device)
    return images


def gather_batch(
    images: torch.Tensor, labels: torch.Tensor, indices: torch.Tensor, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """The uint8 images and int64 labels of one batch, on ``device``.

    ``index_select`` writes the batch once; with images and indices already on the device (the usual
    case on a GPU, see ``place_images`` and ``epoch_order``) nothing crosses the bus and nothing syncs.
    """
    batch_images = images.index_select(0, indices.to(images.device, non_blocking=True))
    batch_labels = labels.index_select(0, indices.to(labels.device, non_blocking=True))
    return batch_images.to(device, non_blocking=True), batch_labels.to(device, non_blocking=True)


def epoch_repeats(num_images: int, epoch_images: int) -> int:
    """Passes over ``num_images`` in one epoch so that it shows at least ``epoch_images`` (0: one pass).

    Records, grids and checkpoints come once per epoch, so on 500 images they would otherwise come every
    few steps and cost more than the training (train.epoch_images).
    """
    if epoch_images <= 0 or num_images <= 0:
        return 1
    return max(1, -(-epoch_images // num_images))
