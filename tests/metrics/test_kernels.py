"""Kernels against NumPy formulas; the median heuristic; gradients flow (the DAN loss needs them)."""

import numpy as np
import pytest
import torch

from tlcore.errors import TLError
from tlcore.metrics.kernels import (
    gaussian_kernel,
    gaussian_kernel_paired,
    median_bandwidth,
    mixture_bandwidths,
    resolve_bandwidths,
    sq_distances,
)


def _np_kernel(a: np.ndarray, b: np.ndarray, sigma: float) -> np.ndarray:
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * sigma**2))


@pytest.fixture
def xy() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(13, 4, generator=g, dtype=torch.float64), torch.randn(9, 4, generator=g).double() + 1


def test_sq_distances_match_numpy(xy):
    X, Y = xy
    ref = ((X.numpy()[:, None] - Y.numpy()[None]) ** 2).sum(-1)
    np.testing.assert_allclose(sq_distances(X, Y).numpy(), ref, atol=1e-10)
    self_d = sq_distances(X)
    assert (self_d.diagonal() == 0).all() and (self_d >= 0).all()


def test_gaussian_kernel_and_mixture_match_numpy(xy):
    X, Y = xy
    np.testing.assert_allclose(gaussian_kernel(X, Y, 1.7).numpy(), _np_kernel(X.numpy(), Y.numpy(), 1.7))
    bws = mixture_bandwidths(1.5)
    assert bws == pytest.approx((0.375, 0.75, 1.5, 3.0, 6.0))
    mix = np.mean([_np_kernel(X.numpy(), Y.numpy(), s) for s in bws], axis=0)
    np.testing.assert_allclose(gaussian_kernel(X, Y, bws).numpy(), mix)
    assert torch.equal(gaussian_kernel(X, None, bws).diagonal(), torch.ones(len(X), dtype=X.dtype))


def test_paired_kernel_is_the_diagonal(xy):
    X, Y = xy
    paired = gaussian_kernel_paired(X[:9], Y, (0.5, 2.0))
    torch.testing.assert_close(paired, gaussian_kernel(X[:9], Y, (0.5, 2.0)).diagonal())


def test_median_heuristic_is_the_median_pairwise_distance(xy):
    X, Y = xy
    Z = torch.cat([X, Y]).numpy()
    d2 = ((Z[:, None] - Z[None]) ** 2).sum(-1)[np.triu_indices(len(Z), 1)]
    lower_median = np.sort(d2)[(len(d2) - 1) // 2]
    assert median_bandwidth(X, Y) == pytest.approx(np.sqrt(lower_median))
    assert resolve_bandwidths(X, Y, "mixture") == pytest.approx(mixture_bandwidths(np.sqrt(lower_median)))


def test_median_heuristic_subsample_is_seeded_and_degenerate_input_is_safe():
    Z = torch.randn(500, 3)
    assert median_bandwidth(Z, max_samples=100, seed=3) == median_bandwidth(Z, max_samples=100, seed=3)
    assert median_bandwidth(torch.zeros(6, 2)) == 1.0
    mostly_same = torch.cat([torch.zeros(10, 2), torch.ones(1, 2)])
    assert median_bandwidth(mostly_same) == pytest.approx(np.sqrt(2))


def test_kernel_is_differentiable(xy):
    X, Y = xy
    X = X.clone().requires_grad_(True)
    gaussian_kernel(X, Y, (1.0, 2.0)).sum().backward()
    assert X.grad is not None and torch.isfinite(X.grad).all()


def test_bad_bandwidths_are_refused(xy):
    X, Y = xy
    with pytest.raises(TLError):
        gaussian_kernel(X, Y, -1.0)
    with pytest.raises(TLError):
        resolve_bandwidths(X, Y, "silverman")
