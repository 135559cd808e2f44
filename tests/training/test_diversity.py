"""The mode-seeking term: pairs of one class, the distance ratio, and its place in a step."""

from __future__ import annotations

import pytest
import torch

from fashiongan.training.diversity import EPSILON, mode_seeking_loss, paired_labels
from fashiongan.training.state import build_state
from fashiongan.training.step import draw_noise, train_step

from .conftest import tiny_config


def test_paired_labels_give_each_odd_row_the_class_of_the_row_before():
    labels = torch.tensor([3, 1, 0, 2, 1])
    assert paired_labels(labels).tolist() == [3, 3, 0, 0, 1]  # the odd last row keeps its own
    assert labels.tolist() == [3, 1, 0, 2, 1]  # the input is not changed


def test_the_loss_is_the_reciprocal_of_image_over_noise_distance():
    images = torch.tensor([[0.0, 0.0], [1.0, 3.0], [2.0, 2.0], [2.0, 2.0]])  # pair distances 2 and 0
    z = torch.tensor([[0.0], [2.0], [1.0], [0.0]])  # noise distances 2 and 1
    expected = 1.0 / ((4.0 / 4) / (3.0 / 2) + EPSILON)  # mean |Δimage| = 1, mean |Δz| = 1.5
    assert mode_seeking_loss(images, z).item() == pytest.approx(expected, rel=1e-6)


def test_a_generator_that_ignores_its_noise_pays_more_than_one_that_uses_it():
    z = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    ignoring = torch.zeros(8, 1, 2, 2)
    using = z[:, :, None, None].repeat(1, 1, 2, 2)
    assert mode_seeking_loss(ignoring, z) > 100 * mode_seeking_loss(using, z)


def test_a_step_with_mode_seeking_draws_pairs_and_reports_the_term():
    config = tiny_config(**{"model.generator": "cbn", "model.discriminator": "sn", "model.g_channels": 16,
                            "model.d_channels": 8, "train.mode_seeking": 1.0})
    config.model.num_classes = 4
    state = build_state(config, torch.device("cpu"))
    _, labels = draw_noise(state.recipe, 8, torch.Generator().manual_seed(3))
    assert torch.equal(labels[0::2], labels[1::2])
    real = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    stats = train_step(state, real, torch.arange(8) % 4)
    assert torch.isfinite(stats["g_mode_seeking"]) and stats["g_mode_seeking"] > 0


def test_without_mode_seeking_the_labels_are_drawn_as_before():
    config = tiny_config(**{"model.generator": "cbn", "model.discriminator": "sn", "model.g_channels": 16,
                            "model.d_channels": 8})
    config.model.num_classes = 4
    state = build_state(config, torch.device("cpu"))
    _, labels = draw_noise(state.recipe, 64, torch.Generator().manual_seed(3))
    assert not torch.equal(labels[0::2], labels[1::2])
