"""The one rule for a target accuracy that rose, fell or is unchanged (tlcore.metrics.accuracy_change)."""

import pytest
import torch

from tlcore.metrics.accuracy_change import direction, fell, shown_points


def evaluated(right: int, n: int) -> float:
    """An accuracy as the evaluator computes it: the float32 mean of 0/1 hits."""
    return float((torch.arange(n) < right).float().mean())


@pytest.mark.parametrize(("n", "shown"), [(360, 0.3), (540, 0.2), (1000, 0.1), (2000, 0.1)])
def test_one_sample_lost_on_a_target_of_up_to_2000_samples_fell(n: int, shown: float) -> None:
    """Every k: on 2,000 samples one sample is 0.05 points, and in float32 it is 0.049996 points for
    about half of the k (k = 1400, 1734, 1800, ...): still a fall, shown as -0.1, never -0.0."""
    for k in range(1, n + 1):
        before, after = evaluated(k, n), evaluated(k - 1, n)
        assert fell(after, before) and direction(after, before) == "fell", (n, k)
        assert shown_points(after, before) == -shown, (n, k)
        assert direction(before, after) == "rose" and shown_points(before, after) == shown, (n, k)
    assert 100 * (evaluated(1399, 2000) - evaluated(1400, 2000)) > -0.05  # the float32 case above


def test_float_noise_and_a_change_that_shows_as_zero_are_unchanged() -> None:
    assert direction(evaluated(1400, 2000), 0.7) == "unchanged"  # 0.7 in float32 against float64
    assert shown_points(evaluated(1400, 2000), 0.7) == 0.0 and str(shown_points(0.7, 0.7)) == "0.0"
    # one sample of 10,000 is 0.01 points, shown as -0.0: far inside the sampling error, unchanged
    assert direction(evaluated(6999, 10_000), evaluated(7000, 10_000)) == "unchanged"
    assert not fell(evaluated(6999, 10_000), evaluated(7000, 10_000))
    assert direction(evaluated(6995, 10_000), evaluated(7000, 10_000)) == "fell"  # 0.05 points shows
    assert shown_points(0.5, 0.25) == 25.0 and direction(0.5, 0.25) == "rose"
