"""The Wilson score interval of an accuracy on few test samples, against hand-computed numbers."""

from __future__ import annotations

import math

import pytest

from tlcore.metrics.proportion import Z95, counted, wilson_interval


def test_wilson_interval_of_7_of_8_matches_the_formula_by_hand() -> None:
    """p = 7/8, z² = 3.8415: centre = (0.875 + 0.24009) / 1.48018 = 0.75335, half = 1.96 / 1.48018 ·
    sqrt(0.013672 + 0.015006) = 0.22424, so [0.52911, 0.97758]."""
    low, high = wilson_interval(7, 8)
    assert low == pytest.approx(0.52911, abs=1e-5)
    assert high == pytest.approx(0.97758, abs=1e-5)


def test_wilson_interval_at_none_right_is_not_of_width_zero() -> None:
    """k = 0: the interval is [0, z² / (n + z²)] (the Wald interval would be [0, 0])."""
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(Z95**2 / (10 + Z95**2))
    assert wilson_interval(10, 10) == pytest.approx((1 - high, 1.0))


def test_a_large_test_split_gives_about_the_normal_interval() -> None:
    """At n = 10,000 the Wilson interval is p ± 1.96 sqrt(p (1 - p) / n) to 4 decimals."""
    low, high = wilson_interval(7_000, 10_000)
    half = Z95 * math.sqrt(0.7 * 0.3 / 10_000)
    assert (low, high) == pytest.approx((0.7 - half, 0.7 + half), abs=1e-4)


def test_counted_rounds_a_float32_accuracy_to_its_count() -> None:
    accuracy = counted(0.8750000596046448, 8)  # float32 mean of 7 right of 8
    assert accuracy is not None
    assert (accuracy.correct, accuracy.n) == (7, 8)
    assert accuracy.text() == "87.5% (7 of 8, 95% CI 52.9 to 97.8%)"
    assert counted(None, 8) is None and counted(0.5, None) is None


def test_wilson_interval_refuses_counts_outside_the_split() -> None:
    with pytest.raises(ValueError, match="9 of 8"):
        wilson_interval(9, 8)
