"""MMD² estimators against plain loops, and the permutation test's properties."""

import numpy as np
import pytest
import torch

from tlcore.errors import TLError
from tlcore.metrics.kernels import gaussian_kernel
from tlcore.metrics.mmd import mmd2_linear, mmd2_unbiased, mmd_permutation_test, permutation_statistics


def _k(a: np.ndarray, b: np.ndarray, sigma: float) -> float:
    return float(np.exp(-((a - b) ** 2).sum() / (2 * sigma**2)))


def _loop_mmd2_unbiased(X: np.ndarray, Y: np.ndarray, sigma: float) -> float:
    n, m = len(X), len(Y)
    xx = sum(_k(X[i], X[j], sigma) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(_k(Y[i], Y[j], sigma) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(_k(X[i], Y[j], sigma) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def _loop_mmd2_linear(X: np.ndarray, Y: np.ndarray, sigma: float) -> float:
    h = min(len(X), len(Y)) // 2
    terms = [
        _k(X[2 * i], X[2 * i + 1], sigma)
        + _k(Y[2 * i], Y[2 * i + 1], sigma)
        - _k(X[2 * i], Y[2 * i + 1], sigma)
        - _k(X[2 * i + 1], Y[2 * i], sigma)
        for i in range(h)
    ]
    return float(np.mean(terms))


def _sample(n: int, m: int, shift: float, seed: int, d: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randn(m, d, generator=g) + shift


def test_unbiased_matches_double_loop():
    X, Y = (t.double() for t in _sample(17, 23, 0.5, seed=0))
    assert mmd2_unbiased(X, Y, 1.3) == pytest.approx(
        _loop_mmd2_unbiased(X.numpy(), Y.numpy(), 1.3), abs=1e-12
    )


def test_mixture_is_the_mean_of_single_bandwidth_estimates():
    X, Y = _sample(20, 20, 0.5, seed=1)
    singles = [mmd2_unbiased(X, Y, s) for s in (0.5, 1.0, 2.0)]
    assert mmd2_unbiased(X, Y, (0.5, 1.0, 2.0)) == pytest.approx(np.mean(singles), abs=1e-6)


def test_linear_matches_loop():
    X, Y = (t.double() for t in _sample(21, 16, 0.5, seed=2))
    assert mmd2_linear(X, Y, 1.3) == pytest.approx(_loop_mmd2_linear(X.numpy(), Y.numpy(), 1.3), abs=1e-12)


def test_symmetry_and_blockwise_equals_direct():
    X, Y = _sample(300, 200, 0.3, seed=3)
    direct = mmd2_unbiased(X, Y, 2.0)
    assert mmd2_unbiased(Y, X, 2.0) == pytest.approx(direct, abs=1e-7)
    for block in (7, 64, 256):
        assert mmd2_unbiased(X, Y, 2.0, block_size=block) == pytest.approx(direct, abs=1e-5)


def test_permutation_statistics_match_a_naive_loop():
    X, Y = _sample(12, 9, 0.8, seed=4)
    Z = torch.cat([X, Y]).double()
    g = torch.Generator().manual_seed(0)
    groups = torch.stack([torch.randperm(21, generator=g)[:12] for _ in range(50)])
    fast = permutation_statistics(gaussian_kernel(Z, None, 1.5), groups)
    naive = []
    for row in groups:
        rest = torch.tensor(sorted(set(range(21)) - set(row.tolist())))
        naive.append(_loop_mmd2_unbiased(Z[row].numpy(), Z[rest].numpy(), 1.5))
    np.testing.assert_allclose(fast.numpy(), naive, atol=1e-12)
    observed = _loop_mmd2_unbiased(X.double().numpy(), Y.double().numpy(), 1.5)
    naive_p = (1 + sum(s >= observed - 1e-12 for s in naive)) / 51
    fast_p = (1 + int((fast >= observed - 1e-12).sum())) / 51
    assert fast_p == naive_p


def test_permutation_test_result_is_consistent_and_deterministic():
    X, Y = _sample(40, 30, 0.2, seed=5)
    result = mmd_permutation_test(X, Y, n_permutations=300, seed=7, bandwidth=1.5)
    again = mmd_permutation_test(X, Y, n_permutations=300, seed=7, bandwidth=1.5, permutation_block=64)
    assert result.p_value == again.p_value
    np.testing.assert_array_equal(result.null_samples, again.null_samples)
    assert result.mmd2 == pytest.approx(mmd2_unbiased(X, Y, 1.5), abs=1e-6)
    assert result.p_value == (1 + (result.null_samples >= result.mmd2).sum()) / 301


def test_same_distribution_is_not_significant():
    X, Y = _sample(200, 150, 0.0, seed=6)
    result = mmd_permutation_test(X, Y, n_permutations=500, seed=0)
    assert abs(result.mmd2) < 0.01
    assert result.p_value > 0.05


def test_shifted_pair_is_significant():
    X, Y = _sample(200, 150, 0.5, seed=6)
    result = mmd_permutation_test(X, Y, n_permutations=500, seed=0)
    assert result.mmd2 > 0.02
    assert result.p_value < 0.01
    assert result.p_value == pytest.approx(1 / 501)


def test_subsampling_is_reported():
    X, Y = _sample(120, 50, 0.0, seed=9)
    result = mmd_permutation_test(X, Y, n_permutations=20, max_per_side=60)
    assert (result.n_x, result.n_y, result.subsampled) == (60, 50, True)
    full = mmd_permutation_test(X, Y, n_permutations=20)
    assert (full.n_x, full.n_y, full.subsampled) == (120, 50, False)


def test_bad_inputs_raise_tlerror():
    with pytest.raises(TLError):
        mmd2_unbiased(torch.randn(1, 3), torch.randn(5, 3))
    with pytest.raises(TLError):
        mmd2_unbiased(torch.randn(4, 3), torch.randn(5, 2))
    with pytest.raises(TLError):
        mmd_permutation_test(torch.randn(4, 3), torch.randn(5, 3), n_permutations=0)
