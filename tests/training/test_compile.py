"""train.compile wires torch.compile into the state without changing parameters, optimizers or checkpoints."""

from __future__ import annotations

import pytest
import torch

from fashiongan.training.state import build_state
from fashiongan.training.step import train_step

from .conftest import tiny_config


def test_compile_wraps_both_networks_around_the_optimised_parameters():
    state = build_state(tiny_config(**{"train.compile": True, "train.ema_kimg": 1.0}), torch.device("cpu"))
    assert hasattr(state.generator, "_orig_mod") and hasattr(state.discriminator, "_orig_mod")
    assert not hasattr(state.generator_ema, "_orig_mod")  # the EMA copy only samples: it stays eager
    optimised = {id(p) for group in state.opt_g.param_groups for p in group["params"]}
    assert optimised == {id(p) for p in state.generator._orig_mod.parameters()}
    assert state.generator.z_dim == state.generator._orig_mod.z_dim
    assert all(not k.startswith("_orig_mod.") for k in state.modules()["generator"]._orig_mod.state_dict())


@pytest.mark.slow
def test_a_compiled_step_matches_the_eager_one():
    eager = build_state(tiny_config(), torch.device("cpu"))
    compiled = build_state(tiny_config(**{"train.compile": True}), torch.device("cpu"))
    real = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    labels = torch.arange(8) % 10
    a, b = train_step(eager, real, labels), train_step(compiled, real, labels)
    assert torch.allclose(a["d_loss"], b["d_loss"], atol=1e-4) and torch.allclose(a["g_loss"], b["g_loss"], atol=1e-4)
