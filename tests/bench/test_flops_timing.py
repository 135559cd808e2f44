"""The FLOP counter against closed forms, and the timing helper's budget and medians."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from fashiongan.bench.flops import count_flops
from fashiongan.bench.timing import Timing, measure
from fashiongan.bench.tutorial import FloatImages
from fashiongan.data.dataset import ImageDataset


def test_linear_layer_forward_and_backward_flops_match_the_closed_form():
    batch, fan_in, fan_out = 3, 7, 5
    layer = nn.Linear(fan_in, fan_out)
    x = torch.randn(batch, fan_in, requires_grad=True)
    forward = 2 * batch * fan_in * fan_out  # one multiply-add per weight per row
    assert count_flops(lambda: layer(x)) == forward
    # backward: grad of the input (batch x fan_out @ fan_out x fan_in) and of the weight: two more matmuls
    assert count_flops(lambda: layer(x).sum().backward()) == 3 * forward


def test_conv_flops_match_the_closed_form_and_average_over_calls():
    conv = nn.Conv2d(2, 4, kernel_size=3, padding=1, bias=False)
    x = torch.randn(1, 2, 6, 6)
    expected = 2 * (6 * 6) * 4 * (2 * 3 * 3)  # per output pixel and channel: C_in * k * k multiply-adds
    assert count_flops(lambda: conv(x), calls=3) == expected


def test_measure_runs_at_least_once_and_stays_near_its_budget():
    calls = []

    def slow() -> None:
        calls.append(1)
        time.sleep(0.02)

    started = time.perf_counter()
    timing = measure(slow, items_per_call=10, seconds=0.1, device=torch.device("cpu"), warmup=1)
    assert time.perf_counter() - started < 0.5
    assert timing.repeats >= 1 and len(calls) >= 3  # warm-up, calibration, one repeat at least
    assert timing.median_s == pytest.approx(0.02, rel=0.5)
    assert timing.items_per_s == pytest.approx(10 / timing.median_s)


def test_timing_median():
    assert Timing((3.0, 1.0, 2.0), 4).median_s == pytest.approx(2.0)
    assert Timing((3.0, 1.0, 2.0), 4).items_per_s == pytest.approx(2.0)


def test_tutorial_dataset_returns_one_normalised_float_image_per_item():
    images = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1).expand(2, 1, 2, 2).contiguous()
    dataset = FloatImages(ImageDataset(images, torch.tensor([0, 1]), ["a", "b"]))
    image, label = dataset[1]
    assert image.dtype == torch.float32 and image.shape == (1, 2, 2) and label == 1
    assert torch.allclose(image, torch.ones(1, 2, 2))
    assert torch.allclose(dataset[0][0], -torch.ones(1, 2, 2))
