from __future__ import annotations

import torch

from fashiongan.models.build import build_models
from fashiongan.training.run_state import make_optimizers
from fashiongan.training.step import GANState, train_step

from .conftest import tiny_config


def make_state(lr: float = 2e-4) -> tuple[GANState, object]:
    config = tiny_config(**{"train.lr_g": lr, "train.lr_d": lr})
    config.model.num_classes = 4
    generator, discriminator = build_models(config)
    return GANState(generator, discriminator, *make_optimizers(generator, discriminator, config)), config


def params(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().clone() for p in module.parameters()])


def test_one_step_updates_both_networks_and_reports_finite_numbers():
    torch.manual_seed(0)
    state, config = make_state()
    g_before, d_before = params(state.generator), params(state.discriminator)
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    stats = train_step(state, real, torch.arange(8) % 4, config.model.z_dim, 4)
    assert set(stats) == {"d_loss", "g_loss", "d_acc_real", "d_acc_fake"}
    assert all(torch.isfinite(v) for v in stats.values())
    assert 0 <= stats["d_acc_real"].item() <= 1
    assert not torch.equal(g_before, params(state.generator))
    assert not torch.equal(d_before, params(state.discriminator))


def test_discriminator_learns_to_separate_an_easy_case():
    """With G frozen (lr 0), D on all-white 'real' images should soon call them real and the fakes fake."""
    torch.manual_seed(0)
    state, config = make_state()
    for group in state.opt_g.param_groups:
        group["lr"] = 0.0
    real = torch.ones(8, 1, 28, 28)
    labels = torch.arange(8) % 4
    for _ in range(80):
        stats = train_step(state, real, labels, config.model.z_dim, 4)
    assert stats["d_acc_real"].item() == 1.0 and stats["d_acc_fake"].item() == 1.0
