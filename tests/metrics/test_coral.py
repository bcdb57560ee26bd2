"""CORAL and mean distances against np.cov and the Frobenius formula (including the 1/(4 d^2))."""

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
