"""The step as a function of the state: every loss, penalty, EMA, augmentation and precision option."""

from __future__ import annotations

import pytest
import torch

from fashiongan.training.state import build_state
from fashiongan.training.step import train_step

from .conftest import tiny_config

MODERN = {"model.generator": "cbn", "model.discriminator": "sn", "model.g_channels": 16, "model.d_channels": 8}


def make_state(**overrides):
    config = tiny_config(**overrides)
    config.model.num_classes = 4
    return build_state(config, torch.device("cpu")), config


def params(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().clone() for p in module.parameters()])


def batch(n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1, torch.arange(n) % 4


@pytest.mark.parametrize("overrides", [
    {},
    {"train.loss": "hinge"},
    {"train.loss": "lsgan"},
    {"train.loss": "rpgan", "train.r1_gamma": 1.0, "train.r2_gamma": 1.0},
    {"train.loss": "wgan", "train.gp_weight": 10.0},
    {**MODERN, "train.loss": "hinge", "train.aux_weight": 0.3, "train.ema_kimg": 1.0},
    {**MODERN, "train.augment": "translation,cutout,color", "model.d_minibatch_std": True},
    {**MODERN, "train.precision": "bf16", "train.channels_last": True},
    {"model.generator": "cbn", "model.g_upsample": "convt", "model.discriminator": "mlp", "model.conditional": False},
])
def test_one_step_updates_both_networks_and_reports_finite_numbers(overrides):
    state, _ = make_state(**overrides)
    g_before, d_before = params(state.generator), params(state.discriminator)
    real, labels = batch()
    stats = train_step(state, real, labels if state.recipe.num_classes else None, ema_beta=0.5)
    assert {"d_loss", "g_loss", "d_acc_real", "d_acc_fake", "d_real_sign"} <= set(stats)
    assert all(torch.isfinite(v) for v in stats.values()), stats
    assert not torch.equal(g_before, params(state.generator))
    assert not torch.equal(d_before, params(state.discriminator))
    assert state.step == 1
    if overrides.get("train.r1_gamma"):
        assert stats["penalty_r1"] > 0 and stats["penalty_r2"] > 0
    if overrides.get("train.aux_weight"):
        assert stats["d_class_loss"] > 0 and stats["g_class_loss"] > 0
    if state.generator_ema is not None:  # beta 0.5: the EMA moved half way towards G
        assert not torch.equal(params(state.generator_ema), g_before)


def test_discriminator_frozen_during_the_generator_update_keeps_no_gradient():
    state, _ = make_state(**MODERN)
    real, labels = batch()
    train_step(state, real, labels)
    assert all(p.requires_grad for p in state.discriminator.parameters())
    # set_to_none at the start of D's update and no D gradient from G's backward
    assert all(p.grad is not None for p in state.discriminator.parameters())
    grads = [p.grad.clone() for p in state.discriminator.parameters()]
    from fashiongan.training.step import generator_step

    fake = state.generator(torch.randn(8, 100), labels)
    generator_step(state, real, labels, fake, labels)
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, state.discriminator.parameters(), strict=True))


def test_a_step_is_reproducible_from_the_state_alone():
    a, _ = make_state(**MODERN, **{"train.augment": "translation"})
    b, _ = make_state(**MODERN, **{"train.augment": "translation"})
    torch.manual_seed(123)  # the global RNG must not matter
    real, labels = batch()
    train_step(a, real, labels)
    torch.manual_seed(999)
    train_step(b, real, labels)
    assert torch.equal(params(a.generator), params(b.generator))


@pytest.mark.parametrize("loss", ["bce", "hinge", "lsgan", "rpgan"])
def test_discriminator_learns_to_separate_an_easy_case(loss):
    """With G frozen (lr 0), D on all-white 'real' images should soon call them real and the fakes fake."""
    state, _ = make_state(**{"train.loss": loss})
    for group in state.opt_g.param_groups:
        group["lr"] = 0.0
    real = torch.ones(8, 1, 28, 28)
    labels = torch.arange(8) % 4
    first = train_step(state, real, labels)["d_loss"]
    for _ in range(60):
        stats = train_step(state, real, labels)
    assert stats["d_loss"] < first
    if loss in ("bce", "hinge"):  # logits whose sign means real/fake (lsgan's midpoint is 0.5; rpgan's relative)
        assert stats["d_acc_real"].item() == pytest.approx(1.0) and stats["d_acc_fake"].item() == pytest.approx(1.0)


def test_bf16_and_fp32_follow_the_same_loss_curve():
    curves = {}
    for precision in ("fp32", "bf16"):
        state, _ = make_state(**MODERN, **{"train.precision": precision, "train.loss": "hinge"})
        real, labels = batch(16)
        curves[precision] = torch.stack([train_step(state, real, labels)["d_loss"] for _ in range(15)])
    assert torch.allclose(curves["fp32"], curves["bf16"], atol=0.15), curves


def test_blending_starts_unconditional_and_ends_fully_conditional():
    from fashiongan.training.state import set_conditioning

    state, _ = make_state(**MODERN, **{"train.blend_start": 0.1, "train.blend_end": 0.5, "train.aux_weight": 0.3})
    z, labels = torch.randn(4, 100), torch.tensor([0, 1, 2, 3])
    state.generator.eval()
    set_conditioning(state, 0.0)
    with torch.no_grad():
        unconditional = state.generator(z, labels), state.generator(z, labels.flip(0))
    assert torch.allclose(*unconditional)  # labels have no effect at strength 0
    real, real_labels = batch()
    stats = train_step(state, real, real_labels)
    assert "d_class_loss" not in stats  # the class loss is weighted by the strength too
    set_conditioning(state, 1.0)
    assert all(m.strength == pytest.approx(1.0) for m in state.discriminator.modules() if hasattr(m, "strength"))
