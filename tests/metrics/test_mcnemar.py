"""The exact McNemar test against hand-computed values and scipy's two-sided binomial test."""

from __future__ import annotations

import math

import pytest
from scipy.stats import binomtest

from tlcore.metrics.mcnemar import NOT_STORED, PairedChange, described_change, mcnemar_p


def test_mcnemar_p_on_hand_numbers() -> None:
    assert mcnemar_p(0, 0) == 1.0  # no discordant sample: no evidence either way
    assert mcnemar_p(0, 1) == 1.0 and mcnemar_p(1, 0) == 1.0  # one sample more wrong: chance
    assert mcnemar_p(10, 0) == pytest.approx(2 * 0.5**10, rel=1e-12) and mcnemar_p(0, 10) == mcnemar_p(10, 0)
    assert mcnemar_p(3, 3) == 1.0  # 2 P(X <= 3) = 2 * 42 / 64 > 1: clipped
    assert mcnemar_p(1, 5) == pytest.approx(2 * (1 + 6) / 64)
    with pytest.raises(ValueError, match="b, c >= 0"):
        mcnemar_p(-1, 2)


@pytest.mark.parametrize(
    ("b", "c"),
    [
        *[(0, 1), (1, 4), (2, 9), (7, 7), (12, 30), (40, 25), (200, 260), (1500, 1400)],
        *[(3, 3000), (5000, 5210), (49_700, 50_300), (0, 1074)],  # large counts, a tail near underflow
    ],
)
def test_mcnemar_p_is_scipys_two_sided_binomial_test(b: int, c: int) -> None:
    assert mcnemar_p(b, c) == pytest.approx(binomtest(b, b + c, 0.5).pvalue, rel=1e-9)


def test_counts_from_each_samples_correctness_and_the_words() -> None:
    before = [True] * 20 + [False] * 10
    after = [True] * 19 + [False] + [False] * 10  # sample 20 turns wrong, nothing else moves
    paired = PairedChange.of(before, after)
    assert (paired.b, paired.c, paired.n) == (1, 0, 30) and paired.within_chance
    # the case of the issue: 30 test samples, one more wrong, 3.3 points "negative transfer"
    assert described_change(19 / 30, 20 / 30, paired) == (
        "fell 3.3 points (1 more wrong of 30, 1 right to wrong and 0 wrong to right; McNemar p = 1.0: "
        "within chance)"
    )
    significant = PairedChange(b=12, c=1, n=300)
    assert not significant.within_chance and math.isclose(significant.p_value, 2 * 14 / 2**13)
    assert described_change(0.70, 0.7367, significant, "against source-only") == (
        "fell 3.7 points against source-only (11 more wrong of 300, 12 right to wrong and 1 wrong to "
        "right; McNemar p = 0.0034)"
    )
    assert described_change(0.5, 0.4, None) == f"rose 10.0 points ({NOT_STORED})"
    assert described_change(0.5, 0.5, None) == "unchanged"
    assert PairedChange.from_dict(significant.to_dict()) == significant
    assert PairedChange.from_dict(None) is None
    with pytest.raises(ValueError, match="one correctness per sample"):
        PairedChange.of([True], [True, False])
