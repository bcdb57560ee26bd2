"""Maximum mean discrepancy (Gretton et al. 2012, JMLR 13) with a Gaussian kernel, and its test.

Estimators, for ``X`` (``n x D``) and ``Y`` (``m x D``) and the kernel ``k`` of
:mod:`tlcore.metrics.kernels` (bandwidth: median heuristic unless given):

* unbiased U-statistic (Gretton 2012, eq. 3)::

      MMD2_u = 1/(n(n-1)) sum_{i!=j} k(x_i, x_j) + 1/(m(m-1)) sum_{i!=j} k(y_i, y_j)
               - 2/(n m) sum_{i,j} k(x_i, y_j)

* linear-time estimator (Gretton 2012, Lemma 14), ``h = floor(min(n, m) / 2)``::

      MMD2_l = 1/h sum_i k(x_{2i-1}, x_{2i}) + k(y_{2i-1}, y_{2i})
                         - k(x_{2i-1}, y_{2i}) - k(x_{2i}, y_{2i-1})

The permutation test builds the joint kernel matrix once and scores blocks of permutations as
matrix products (see :func:`permutation_statistics`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tlcore.diagnosis_settings import DEFAULT_MAX_PER_SIDE
from tlcore.errors import TLError
from tlcore.metrics.inputs import check_pair
from tlcore.metrics.kernels import BandwidthSpec, gaussian_kernel, gaussian_kernel_paired, resolve_bandwidths

DEFAULT_BLOCK = 4096  # rows/columns of one kernel block: 4096^2 float32 = 64 MiB


@dataclass(frozen=True)
class MMDTestResult:
    """Outcome of :func:`mmd_permutation_test`.

    ``mmd2`` is the unbiased statistic on the samples tested (``n_x``, ``n_y``: fewer than given
    when ``subsampled``); ``null_samples`` holds the statistic under each permutation.
    """

    mmd2: float
    p_value: float
    n_permutations: int
    bandwidth: tuple[float, ...]
    n_x: int
    n_y: int
    subsampled: bool
    null_samples: np.ndarray


def _kernel_sum(
    A: torch.Tensor, B: torch.Tensor | None, bandwidths: tuple[float, ...], block_size: int
) -> torch.Tensor:
    """``sum_{i,j} k(a_i, b_j)`` in float64, one ``block_size`` square at a time (``B=None``: ``B=A``).

    For ``B=None`` only blocks on and above the diagonal are evaluated (the matrix is symmetric).
    """
    total = torch.zeros((), dtype=torch.float64, device=A.device)
    n_rows = len(A)
    for i in range(0, n_rows, block_size):
        rows = A[i : i + block_size]
        if B is None:
            total += gaussian_kernel(rows, None, bandwidths).sum(dtype=torch.float64)
            for j in range(i + block_size, n_rows, block_size):
                total += 2 * gaussian_kernel(rows, A[j : j + block_size], bandwidths).sum(dtype=torch.float64)
        else:
            for j in range(0, len(B), block_size):
                total += gaussian_kernel(rows, B[j : j + block_size], bandwidths).sum(dtype=torch.float64)
    return total


def mmd2_unbiased(
    X: torch.Tensor,
    Y: torch.Tensor,
    bandwidth: BandwidthSpec = None,
    block_size: int = DEFAULT_BLOCK,
    seed: int = 0,
) -> float:
    """Unbiased MMD² (U-statistic above), computed block-wise: memory ``O(block_size^2)`` for any n.

    ``seed`` only drives the subsample of the median heuristic when ``bandwidth`` is not a number.
    """
    check_pair(X, Y, "MMD")
    bw = resolve_bandwidths(X, Y, bandwidth, seed)
    n, m = len(X), len(Y)
    with torch.no_grad():
        # k(x, x) = 1 for every kernel here, so the diagonal sums are exactly n and m.
        kxx = (_kernel_sum(X, None, bw, block_size) - n) / (n * (n - 1))
        kyy = (_kernel_sum(Y, None, bw, block_size) - m) / (m * (m - 1))
        kxy = _kernel_sum(X, Y, bw, block_size) / (n * m)
    return float(kxx + kyy - 2 * kxy)


def mmd2_linear(X: torch.Tensor, Y: torch.Tensor, bandwidth: BandwidthSpec = None, seed: int = 0) -> float:
    """Linear-time MMD² (Gretton 2012, Lemma 14): unbiased, O(n) time, higher variance.

    Pairs consecutive samples in the given order (shuffle first if the order is not random) and
    uses the first ``2 * floor(min(n, m) / 2)`` samples of each side.
    """
    check_pair(X, Y, "MMD")
    bw = resolve_bandwidths(X, Y, bandwidth, seed)
    h = min(len(X), len(Y)) // 2
    x1, x2, y1, y2 = X[0 : 2 * h : 2], X[1 : 2 * h : 2], Y[0 : 2 * h : 2], Y[1 : 2 * h : 2]
    with torch.no_grad():
        terms = (
            gaussian_kernel_paired(x1, x2, bw)
            + gaussian_kernel_paired(y1, y2, bw)
            - gaussian_kernel_paired(x1, y2, bw)
            - gaussian_kernel_paired(x2, y1, bw)
        )
    return float(terms.double().mean())


def permutation_statistics(
    K: torch.Tensor, groups: torch.Tensor, row_sums: torch.Tensor | None = None
) -> torch.Tensor:
    """Unbiased MMD² of each split of the pooled sample, from the joint kernel matrix ``K``.

    ``K`` is the ``N x N`` kernel of the pooled samples (unit diagonal); ``groups`` is ``P x n``:
    each row lists the ``n`` pooled indices forming the first sample, the other ``m = N - n`` form
    the second. With ``a`` the ``1/n`` group weights of a row, ``r = K 1`` and ``S = 1' K 1``:

        T1 = a'Ka,  T2 = a'r,  a'Kb = (T2 - n T1) / m,  b'Kb = (S - 2n T2 + n^2 T1) / m^2
        MMD2_u = n/(n-1) (T1 - 1/n) + m/(m-1) (b'Kb - 1/m) - 2 a'Kb

    (the diagonal terms ``sum_i a_i^2 K_ii = 1/n`` removed analytically). All ``P`` rows cost one
    ``N x N`` by ``N x P`` matrix product; ``a'Ka`` then gathers the ``n`` entries of each column
    that belong to its group. ``row_sums`` (``r``, float64) can be passed to score many blocks of
    one ``K``. Returns ``P`` float64 statistics.
    """
    N, n = len(K), groups.shape[1]
    m = N - n
    r = K.sum(1).double() if row_sums is None else row_sums
    S = r.sum()
    indicator = torch.zeros(N, len(groups), dtype=K.dtype, device=K.device)
    indicator.scatter_(0, groups.T, 1.0)  # N x P, column p marks the first sample of split p
    KI = K @ indicator  # N x P
    T1 = KI.gather(0, groups.T).sum(0, dtype=torch.float64) / n**2
    T2 = r[groups].sum(1) / n
    akb = (T2 - n * T1) / m
    bkb = (S - 2 * n * T2 + n**2 * T1) / m**2
    return n / (n - 1) * (T1 - 1 / n) + m / (m - 1) * (bkb - 1 / m) - 2 * akb


def mmd_permutation_test(
    X: torch.Tensor,
    Y: torch.Tensor,
    n_permutations: int = 1000,
    *,
    seed: int = 0,
    bandwidth: BandwidthSpec = None,
    permutation_block: int = 256,
    max_per_side: int | None = DEFAULT_MAX_PER_SIDE,
) -> MMDTestResult:
    """Permutation test of ``P_X = P_Y`` with the unbiased MMD² as statistic.

    The joint ``(n+m) x (n+m)`` kernel matrix is built once; permutations are drawn from a
    ``torch.Generator`` seeded with ``seed`` (on the CPU, so results do not depend on the device)
    and scored ``permutation_block`` at a time by :func:`permutation_statistics`.
    ``p = (1 + #{null >= observed}) / (1 + n_permutations)``.

    Subsampling policy: a side with more than ``max_per_side`` samples is replaced by a seeded
    uniform subsample of that size (without replacement), keeping the kernel matrix at most
    ``(2 max_per_side)^2`` entries; ``n_x``, ``n_y`` and ``subsampled`` report it.
    ``None`` disables the cap. The median-heuristic bandwidth is computed on the tested samples.
    """
    check_pair(X, Y, "MMD")
    if n_permutations < 1:
        raise TLError(f"n_permutations must be at least 1, got {n_permutations}")
    generator = torch.Generator().manual_seed(seed)
    subsampled = False
    if max_per_side is not None and max(len(X), len(Y)) > max_per_side:
        subsampled = True
        X, Y = (Z[torch.randperm(len(Z), generator=generator)[:max_per_side].to(Z.device)] for Z in (X, Y))
    bw = resolve_bandwidths(X, Y, bandwidth, seed)
    # The unbiased statistic is symmetric in (X, Y): weight the smaller side (cheaper, more precise).
    first, second = (X, Y) if len(X) <= len(Y) else (Y, X)
    n, N = len(first), len(first) + len(second)
    with torch.no_grad():
        K = gaussian_kernel(torch.cat([first, second]), None, bw)
        r = K.sum(1).double()  # float32 sums of unit-bounded entries; no float64 copy of K
        identity = torch.arange(n).unsqueeze(0)  # the observed split, scored with the first block
        stats = []
        for start in range(0, n_permutations, permutation_block):
            count = min(permutation_block, n_permutations - start)
            groups = torch.stack([torch.randperm(N, generator=generator)[:n] for _ in range(count)])
            if start == 0:
                groups = torch.cat([identity, groups])
            stats.append(permutation_statistics(K, groups.to(K.device), r))
        stats_all = torch.cat(stats)
        observed, null_samples = stats_all[0], stats_all[1:]
        exceed = int((null_samples >= observed).sum())
    return MMDTestResult(
        mmd2=float(observed),
        p_value=(1 + exceed) / (1 + n_permutations),
        n_permutations=n_permutations,
        bandwidth=bw,
        n_x=len(X),
        n_y=len(Y),
        subsampled=subsampled,
        null_samples=null_samples.cpu().numpy(),
    )
