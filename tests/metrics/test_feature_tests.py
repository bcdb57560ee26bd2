"""The per-column Kolmogorov-Smirnov test and the Benjamini-Hochberg adjustment
(tlcore.metrics.feature_tests)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp, ttest_ind_from_stats

from tlcore.errors import TLError
from tlcore.metrics.feature_tests import BLOCK, fdr_adjusted, ks_p_values, ks_statistics, welch_p_value


def test_the_statistic_is_the_largest_gap_between_the_two_empirical_distributions_on_hand_numbers() -> None:
    # a = 1, 2, 3; b = 2, 4: at x = 3, F_a = 3/3, F_b = 1/2 (the tie at 2 counted on both sides)
    a = torch.tensor([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    b = torch.tensor([[2.0, 5.0], [4.0, 5.0]])
    assert ks_statistics(a, b).tolist() == pytest.approx([0.5, 0.0])


def test_statistics_and_p_values_match_scipy_with_ties_across_blocks() -> None:
    g = np.random.default_rng(0)
    n, m, width = 37, 23, BLOCK + 5  # two blocks
    a, b = g.normal(size=(n, width)), g.normal(size=(m, width)) + np.linspace(0, 1.5, width)
    a[:, :10], b[:, :10] = np.round(a[:, :10]), np.round(b[:, :10])  # tied, coded columns
    d = ks_statistics(torch.from_numpy(a), torch.from_numpy(b))
    reference = ks_2samp(a, b, axis=0, method="asymp")
    assert d.numpy() == pytest.approx(reference.statistic, abs=1e-7)
    assert ks_p_values(d, n, m) == pytest.approx(reference.pvalue, rel=1e-5, abs=1e-12)


def test_benjamini_hochberg_on_hand_numbers() -> None:
    # sorted p 0.01, 0.03, 0.04, 0.5 (C = 4): p C / rank = 0.04, 0.06, 0.0533, 0.5; then the running
    # minimum from the largest: 0.04, 0.0533, 0.0533, 0.5, returned in the input's order
    q = fdr_adjusted(np.array([0.04, 0.01, 0.5, 0.03]))
    assert q == pytest.approx([0.16 / 3, 0.04, 0.5, 0.16 / 3])
    assert fdr_adjusted(np.array([])).shape == (0,)


def test_mismatched_columns_are_one_readable_error() -> None:
    with pytest.raises(TLError, match="Kolmogorov-Smirnov test needs two N x D matrices of one width"):
        ks_statistics(torch.zeros(3, 2), torch.zeros(3, 4))


def test_welch_p_value_matches_scipy_from_the_summary_statistics() -> None:
    reference = ttest_ind_from_stats(1.3, 0.8, 30, 1.0, 1.4, 12, equal_var=False).pvalue
    assert welch_p_value(0.3, (0.8, 1.4), (30, 12)) == pytest.approx(reference, rel=1e-9)
    assert welch_p_value(0.5, (0.0, 0.0), (5, 5)) == 0.0  # two constant sides, different
    assert welch_p_value(0.0, (0.0, 0.0), (5, 5)) == 1.0
    assert welch_p_value(2.0, (1.0, 1.0), (1, 50)) == 1.0  # one image: nothing to test
