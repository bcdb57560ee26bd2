"""CORAL and mean distances against np.cov and the Frobenius formula (including the 1/(4 d^2))."""

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from tlcore.errors import TLError
from tlcore.metrics.coral import coral_distance, coral_loss, mean_distance


def test_coral_matches_np_cov_frobenius():
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(40, 6)), rng.normal(size=(30, 6)) * 2.0 + 1.0
    diff = np.cov(Xs, rowvar=False) - np.cov(Xt, rowvar=False)
    expected = (diff**2).sum() / (4 * 6**2)
    assert coral_distance(torch.from_numpy(Xs), torch.from_numpy(Xt)) == pytest.approx(expected, rel=1e-12)
    assert coral_distance(torch.from_numpy(Xs).float(), torch.from_numpy(Xt).float()) == pytest.approx(
        expected, rel=1e-5
    )


def test_mean_distance_is_squared_mean_difference():
    rng = np.random.default_rng(1)
    Xs, Xt = rng.normal(size=(40, 3)), rng.normal(size=(25, 3)) + 0.5
    expected = ((Xs.mean(0) - Xt.mean(0)) ** 2).sum()
    assert mean_distance(torch.from_numpy(Xs), torch.from_numpy(Xt)) == pytest.approx(expected)


def test_a_pure_translation_has_no_coral_gap():
    X = torch.randn(50, 4, dtype=torch.float64)
    assert coral_distance(X, X + 3.0) == pytest.approx(0.0, abs=1e-12)
    assert mean_distance(X, X + 3.0) == pytest.approx(4 * 9.0)


def test_coral_refuses_mismatched_inputs():
    with pytest.raises(TLError):
        coral_distance(torch.randn(5, 3), torch.randn(5, 4))
    with pytest.raises(TLError):
        coral_distance(torch.randn(1, 3), torch.randn(5, 3))


def test_coral_loss_is_the_differentiable_coral_distance():
    Xs = torch.randn(30, 5, requires_grad=True)
    Xt = torch.randn(20, 5) * 1.5
    loss = coral_loss(Xs, Xt)
    assert loss.item() == pytest.approx(coral_distance(Xs.detach(), Xt), rel=1e-5)
    loss.backward()
    assert Xs.grad is not None and torch.isfinite(Xs.grad).all()


@pytest.mark.parametrize(("n", "m", "d"), [(30, 25, 50), (50, 40, 30), (12, 9, 2500)])
def test_the_gram_and_covariance_forms_give_the_np_cov_value(n, m, d):
    # d > n + m: from the n x n, m x m and n x m Gram matrices; else the d x d covariances
    rng = np.random.default_rng(n)
    Xs, Xt = rng.normal(size=(n, d)), rng.normal(size=(m, d)) * 1.3 + 0.2
    diff = np.cov(Xs, rowvar=False) - np.cov(Xt, rowvar=False)
    expected = (diff**2).sum() / (4 * d * d)
    got = coral_distance(torch.from_numpy(Xs), torch.from_numpy(Xt), block=7)  # blocks: uneven last
    assert got == pytest.approx(expected, rel=1e-10)


def _peak_rise() -> Callable[[], int]:
    """Resets the peak resident memory to now (Linux ``clear_refs``); returns a reader of its rise."""

    def status(key: str) -> int:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(key))
        return int(line.split()[1]) * 1024

    Path("/proc/self/clear_refs").write_text("5")
    before = status("VmRSS")
    return lambda: status("VmHWM") - before


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="peak RSS reset is Linux's")
def test_wide_features_hold_no_d_by_d_matrix():
    g = torch.Generator().manual_seed(0)
    Xs, Xt = torch.randn(100, 8000, generator=g), torch.randn(120, 8000, generator=g) * 1.1
    rise = _peak_rise()
    began = time.perf_counter()
    value = coral_distance(Xs, Xt)
    seconds, peak = time.perf_counter() - began, rise()
    assert peak < 64e6 < 8 * 8000**2  # one 8000 x 8000 float64 covariance: 512 MB
    assert seconds < 2.0
    # off the diagonal, each C_s - C_t entry is sampling noise of variance 1/99 + 1.1^4/119 (the
    # d(d-1) of them outweigh the diagonal's d entries of (1.1^2 - 1)^2): about (1/99 + 1.1^4/119) / 4
    assert value == pytest.approx((1 / 99 + 1.1**4 / 119) / 4, rel=0.02)
