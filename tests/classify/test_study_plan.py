"""The v2 study's sizing rules: image budgets in whole epochs, and cells dealt out evenly over shares."""

from __future__ import annotations

import pytest

from fashiongan.classify.study import cell_cost
from fashiongan.classify.study_gan import cell_gan_config, source_config
from fashiongan.classify.study_plan import StudyPlan, budget_epochs, gan_kimg, shard_cells
from fashiongan.errors import UserError


def test_a_budget_in_images_becomes_the_nearest_whole_epochs():
    assert budget_epochs(160, 80, 20_000) == 8  # 80 images repeated 250 times: epochs of 20,000
    assert budget_epochs(240, 59_000, 20_000) == 4  # a large set is one pass an epoch
    assert budget_epochs(0.001, 59_000, 20_000) == 1  # at least one epoch
    assert budget_epochs(10, 100, 0) == 100  # no epoch_images: one pass each


def test_cell_gans_train_by_images_whatever_the_machine():
    plan = StudyPlan()
    config = cell_gan_config(plan, 10, 0, holdout_per_class=2, num_images=80)
    assert config.train.seconds is None and config.train.epochs == 8  # 160 kimg in epochs of 20,000
    assert gan_kimg(plan, 10) == 160 and gan_kimg(plan, None) == 240 and 160 < gan_kimg(plan, 250) < 240
    big = cell_gan_config(plan, None, 0, holdout_per_class=100, num_images=59_000)
    assert big.train.epochs == 4
    source = source_config(plan, 58_000)
    assert source.train.seconds is None and source.train.epochs == 4 and not source.model.conditional


def test_cells_are_dealt_out_by_cost_and_every_cell_goes_to_one_share():
    cells, costs = list("abcdef"), [10.0, 1.0, 1.0, 1.0, 1.0, 6.0]
    parts = [shard_cells(cells, (k, 2), costs)[0] for k in (1, 2)]
    assert sorted(parts[0] + parts[1]) == cells
    assert parts == [["a"], ["b", "c", "d", "e", "f"]]  # 10 against 6 + 4 x 1
    assert shard_cells(cells, (1, 2), costs, head_start=5.0)[0] == ["c", "e", "f"]  # share 1 starts 5 behind
    assert shard_cells(cells, (2, 3))[0] == ["b", "e"]  # no costs: every N-th cell from the K-th
    with pytest.raises(UserError, match="--shard K/N needs 1 <= K <= N; got 3/2"):
        shard_cells(cells, (3, 2), costs)


def test_the_default_grid_splits_evenly_over_two_ranks():
    plan = StudyPlan()
    costs = [cell_cost(plan, n, 128) for n, _ in plan.cells()]
    assert cell_cost(plan, 10, 128) > cell_cost(plan, 25, 128)  # the transfer twin and its arms
    shares = [shard_cells(plan.cells(), (k, 2), costs, plan.source_kimg)[0] for k in (1, 2)]
    cost = dict(zip(plan.cells(), costs, strict=True))
    loads = [plan.source_kimg + sum(cost[c] for c in shares[0]), sum(cost[c] for c in shares[1])]
    assert abs(loads[0] - loads[1]) < max(costs)
