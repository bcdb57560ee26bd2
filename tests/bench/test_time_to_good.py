"""The time-to-a-good-model part's arithmetic: when a curve is good, and what stopping once settled costs."""

import pytest

from bench.time_to_good import SETTLE_TOL, budget_configs, settled_summary, time_to_within


def test_a_curve_is_good_from_the_first_epoch_that_stays_within_the_margin():
    curve = [(10.0, 0.80), (20.0, 0.975), (30.0, 0.95), (40.0, 0.97), (50.0, 0.975)]
    assert time_to_within(curve, margin=0.01) == (40.0, 3)  # 0.95 at 30 s breaks the run from 20 s
    assert time_to_within([], margin=0.01) is None


def test_the_settled_budget_is_the_recipe_stopping_once_settled():
    configs = budget_configs("mnist5k", "digits", seed=1)
    assert configs["settled"].settle_tol == SETTLE_TOL > 0
    assert configs["recommended"].settle_tol == 0.0 and configs["today"].settle_tol == 0.0
    same = {k: v for k, v in configs["settled"].to_dict().items() if k != "settle_tol"}
    assert same == {k: v for k, v in configs["recommended"].to_dict().items() if k != "settle_tol"}


def test_settled_summary_compares_time_to_the_last_epoch_and_accuracy_with_the_full_budget():
    full = [
        {"seconds_to_last_epoch": 60.0, "accuracy": 0.99},
        {"seconds_to_last_epoch": 80.0, "accuracy": 0.97},
    ]
    settled = [
        {"seconds_to_last_epoch": 42.0, "accuracy": 0.98},
        {"seconds_to_last_epoch": 56.0, "accuracy": 0.97},
    ]
    summary = settled_summary({"recommended": full, "settled": settled})
    assert summary["settled_ratio"] == pytest.approx(49.0 / 70.0)
    assert summary["settled_accuracy_change"] == pytest.approx(-0.005)
    assert settled_summary({"recommended": full}) == {}
