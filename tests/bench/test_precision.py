"""bf16 autocast learns like fp32: the same loss curve, within the noise between seeds, on tiny data."""

from __future__ import annotations

import torch

from fashiongan.bench.workload import bench_config
from fashiongan.models.layers import scale_to_unit
from fashiongan.training.state import build_state
from fashiongan.training.step import train_step

STEPS = 40
TINY = {"model.generator": "cbn", "model.discriminator": "sn", "model.g_channels": 16, "model.d_channels": 8,
        "train.loss": "hinge", "train.lr_g": 1e-3, "train.lr_d": 1e-3, "train.beta1": 0.0, "train.beta2": 0.9}


def tiny_images(n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Bright squares whose place depends on the class: data a GAN learns quickly."""
    labels = torch.arange(n) % 4
    images = torch.zeros(n, 1, 28, 28, dtype=torch.uint8)
    for i, label in enumerate(labels.tolist()):
        top, left = 4 + 10 * (label // 2), 4 + 10 * (label % 2)
        images[i, 0, top : top + 10, left : left + 10] = 200 + i % 50
    return images, labels


def loss_curve(precision: str, seed: int) -> torch.Tensor:
    """(STEPS, 2) d_loss and g_loss, smoothed over 8 steps."""
    config = bench_config("fmnist", {**TINY, "train.seed": seed}, precision, torch.device("cpu"), 16)
    config.model.num_classes = 4
    state = build_state(config, torch.device("cpu"))
    images, labels = tiny_images()
    order = torch.Generator().manual_seed(0)
    curve = []
    for _ in range(STEPS):
        pick = torch.randperm(len(images), generator=order)[:16]
        stats = train_step(state, scale_to_unit(images[pick]), labels[pick])
        curve.append([stats["d_loss"].item(), stats["g_loss"].item()])
    values = torch.tensor(curve)
    return torch.nn.functional.avg_pool1d(values.T.unsqueeze(0), 8, stride=1).squeeze(0).T


def test_bf16_and_fp32_give_the_same_loss_curve_within_seed_noise():
    fp32, bf16, other_seed = loss_curve("fp32", 0), loss_curve("bf16", 0), loss_curve("fp32", 1)
    assert torch.isfinite(bf16).all()
    precision_gap = (bf16 - fp32).abs().mean()
    seed_gap = (other_seed - fp32).abs().mean()
    assert precision_gap < max(seed_gap, 0.05), (precision_gap, seed_gap)
    assert not torch.equal(bf16, fp32)  # bf16 really ran: the numbers differ in the last bits at least
