"""The study's statistics: t quantiles against scipy, and a 5-seed paired interval worked out by hand."""

from __future__ import annotations

import pytest

from fashiongan.classify.study_stats import mean_interval, paired_interval, t_quantile_975


@pytest.mark.parametrize("df", [*range(1, 41), 50, 60, 100, 1000])
def test_t_quantiles_match_scipy(df: int):
    scipy_stats = pytest.importorskip("scipy.stats")
    assert t_quantile_975(df) == pytest.approx(float(scipy_stats.t.ppf(0.975, df)), abs=6e-5)


def test_a_five_seed_paired_interval_matches_the_hand_computation():
    # seeds 0-4: GAN arm and baseline test accuracies; differences 0.020, 0.010, 0.030, 0.000, 0.015
    gan = [0.820, 0.790, 0.840, 0.800, 0.815]
    base = [0.800, 0.780, 0.810, 0.800, 0.800]
    # mean = 0.075 / 5 = 0.015; deviations 0.005, -0.005, 0.015, -0.015, 0
    # sd = sqrt((25 + 25 + 225 + 225 + 0) e-6 / 4) = sqrt(125e-6) = 0.0111803
    # half-width = t(0.975, 4) * sd / sqrt(5) = 2.7764 * 0.0111803 / 2.2360680 = 0.0138821
    interval = paired_interval(gan, base)
    assert interval.n == 5 and interval.mean == pytest.approx(0.015)
    assert interval.low == pytest.approx(0.015 - 0.0138821, abs=1e-6)
    assert interval.high == pytest.approx(0.015 + 0.0138821, abs=1e-6)
    assert interval.verdict == "better"


def test_verdicts_follow_the_interval():
    assert paired_interval([0.70, 0.71, 0.69], [0.75, 0.76, 0.74]).verdict == "worse"
    assert paired_interval([0.70, 0.74, 0.69], [0.71, 0.72, 0.70]).verdict == "no difference shown"
    assert paired_interval([0.7], [0.6]).verdict == "one seed: no interval"
    mean, half = mean_interval([0.80, 0.82])
    assert mean == pytest.approx(0.81) and half == pytest.approx(12.7062 * 0.0141421 / 1.4142136, rel=1e-5)
    with pytest.raises(ValueError, match="equal, non-zero lengths"):
        paired_interval([0.5], [0.5, 0.6])
