"""Epoch order and batch gathering: equal batches, the same order on any device, no extra copies."""

from __future__ import annotations

import torch

from fashiongan.data.batches import epoch_order, epoch_shard, gather_batch


def test_epoch_order_drops_the_ragged_batch_and_does_not_depend_on_the_device_argument():
    a = epoch_order(10, 4, torch.Generator().manual_seed(3))
    b = epoch_order(10, 4, torch.Generator().manual_seed(3), device="cpu")
    assert [len(x) for x in a] == [4, 4]
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert len(set(torch.cat(a).tolist())) == 8  # no index twice in an epoch
    reference = torch.randperm(10, generator=torch.Generator().manual_seed(3))[:8]
    assert torch.equal(torch.cat(a), reference)  # the order checkpoints already saved stays the same


def test_keep_tail_shows_every_item_once_with_the_same_order():
    kept = epoch_order(10, 4, torch.Generator().manual_seed(3), keep_tail=True)
    assert [len(x) for x in kept] == [4, 6]  # the ragged tail joins the last full batch
    assert torch.equal(torch.cat(kept), torch.randperm(10, generator=torch.Generator().manual_seed(3)))
    assert [len(x) for x in epoch_shard(6, 4, torch.Generator(), keep_tail=True)] == [6]
    assert [len(x) for x in epoch_order(8, 4, torch.Generator(), keep_tail=True)] == [4, 4]


def test_one_batch_when_the_data_is_smaller_than_a_batch():
    assert [len(x) for x in epoch_order(3, 8, torch.Generator().manual_seed(0))] == [3]


def test_gather_batch_picks_images_and_labels_together():
    images = torch.arange(5, dtype=torch.uint8).view(5, 1, 1, 1).expand(5, 1, 2, 2).contiguous()
    labels = torch.arange(5) * 10
    batch, batch_labels = gather_batch(images, labels, torch.tensor([4, 1]), torch.device("cpu"))
    assert batch.dtype == torch.uint8 and batch.shape == (2, 1, 2, 2) and batch.is_contiguous()
    assert batch[:, 0, 0, 0].tolist() == [4, 1] and batch_labels.tolist() == [40, 10]
