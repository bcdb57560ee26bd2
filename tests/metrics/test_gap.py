"""measure_gap: the one gap function equals the metric functions it composes; settings; round trip."""

import json

import numpy as np
import pytest
import torch

from tlcore.diagnosis_settings import GapSettings
from tlcore.errors import TLError
from tlcore.metrics.a_distance import proxy_a_distance
from tlcore.metrics.coral import coral_distance, mean_distance
from tlcore.metrics.gap import Gap, measure_gap
from tlcore.metrics.kernels import median_bandwidth
from tlcore.metrics.mmd import mmd2_unbiased, mmd_permutation_test


def _pair(n: int = 90, m: int = 70, shift: float = 0.6) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return torch.randn(n, 4, generator=g), torch.randn(m, 4, generator=g) + shift


def test_measure_gap_equals_the_metric_functions():
    Fs, Ft = _pair()
    settings = GapSettings(n_permutations=150, max_test_samples=50, seed=4)
    steps = []
    measured = measure_gap(Fs, Ft, settings, device="cpu", progress=steps.append)
    gap = measured.gap
    bandwidth = median_bandwidth(Fs, Ft, seed=4)
    test = mmd_permutation_test(Fs, Ft, 150, seed=4, bandwidth=bandwidth, max_per_side=50)
    pad = proxy_a_distance(Fs, Ft, seed=4)
    assert gap.bandwidth == bandwidth
    assert gap.mmd2 == mmd2_unbiased(Fs, Ft, bandwidth)  # on all samples, not the tested 50 per side
    assert (gap.p_value, gap.n_permutations, gap.mmd_test_samples) == (test.p_value, 150, (50, 50))
    assert gap.coral == coral_distance(Fs, Ft) and gap.mean_distance == mean_distance(Fs, Ft)
    assert (gap.a_distance, gap.domain_error) == (pad.a_distance, pad.error)
    assert (gap.n_source, gap.n_target) == (90, 70)
    np.testing.assert_array_equal(measured.target_scores, pad.target_scores)
    assert steps == ["mmd", "coral", "a_distance"] == list(measured.seconds)
    assert gap.p_value < 0.05 and gap.mmd2 > 0


def test_same_settings_same_gap_and_the_seed_matters():
    Fs, Ft = _pair(shift=0.0)
    settings = GapSettings(n_permutations=99, seed=1)
    assert measure_gap(Fs, Ft, settings).gap == measure_gap(Fs, Ft, settings).gap
    other = measure_gap(Fs, Ft, GapSettings(n_permutations=99, seed=2)).gap
    assert other.p_value != measure_gap(Fs, Ft, settings).gap.p_value


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n_permutations": 0}, "n_permutations must be between 1 and 100000"),
        ({"n_permutations": 10**20}, "n_permutations must be between 1 and 100000"),  # QA: ran with no end
        ({"max_test_samples": 1}, "max_test_samples must be at least 2"),
        ({"seed": -1}, "seed must be between 0 and"),
        ({"seed": 2**32}, "seed must be between 0 and"),
        ({"n_permutations": 10.5}, "n_permutations must be a whole number"),
        ({"seed": True}, "seed must be a whole number"),
    ],
)
def test_settings_are_validated(values, message):
    with pytest.raises(TLError, match=message):
        GapSettings(**values)


def test_settings_defaults_and_dict():
    assert GapSettings().to_dict() == {"n_permutations": 1000, "max_test_samples": 5000, "seed": 0}


def test_gap_round_trips_through_json():
    gap = measure_gap(*_pair(), GapSettings(n_permutations=20)).gap
    stored = json.loads(json.dumps(gap.to_dict(), allow_nan=False))
    assert stored["mmd_test_samples"] == [90, 70]
    assert Gap.from_dict(stored) == gap


def test_gap_from_an_older_result_and_bad_keys():
    old = {"mmd2": 0.1, "p_value": 0.01, "coral": 0.2, "a_distance": 1.5, "n_source": 10, "n_target": 8}
    gap = Gap.from_dict(old)
    assert gap.a_distance == 1.5 and gap.bandwidth is None and gap.mmd_test_samples is None
    assert gap.to_dict() == {
        **old,
        "n_permutations": None,
        "bandwidth": None,
        "mmd_test_samples": None,
        "mean_distance": None,
        "domain_error": None,
    }
    with pytest.raises(TLError, match="unknown gap keys: speed"):
        Gap.from_dict({**old, "speed": 1})
    with pytest.raises(TLError, match="a gap needs p_value"):
        Gap.from_dict({k: v for k, v in old.items() if k != "p_value"})
