"""The one lr-schedule module: the evaluator's one-cycle against PyTorch's OneCycleLR, the classifiers' shape."""

from __future__ import annotations

import pytest
import torch

from fashiongan.run.schedule import one_cycle_lr, one_cycle_step


@pytest.mark.parametrize("total_steps", [5, 40, 137])
def test_one_cycle_step_is_pytorchs_one_cycle_lr_with_its_momentum(total_steps: int):
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([parameter], lr=3e-3)
    reference = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=total_steps)
    for step in range(total_steps):
        lr, beta1 = one_cycle_step(step, total_steps, 3e-3)
        assert lr == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-12)
        assert beta1 == pytest.approx(optimizer.param_groups[0]["betas"][0], rel=1e-12)
        optimizer.step()
        reference.step()


def test_the_classifiers_one_cycle_warms_up_linearly_then_anneals():
    assert one_cycle_lr(0.1, 1.0) == pytest.approx((0.04 + 1.0) / 2)
    assert one_cycle_lr(0.6, 1.0) == pytest.approx((1.0 + 1e-4) / 2)
