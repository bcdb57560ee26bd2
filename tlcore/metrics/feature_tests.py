"""Which features of two samples differ (a table's columns, an image statistic), with the false
discoveries of many features controlled.

Per image statistic, Welch's t-test of the two means, ``t = (m_t - m_s) / sqrt(s_s² / n_s + s_t² /
n_t)`` with the Welch-Satterthwaite degrees of freedom, two-sided. Per column, the two-sample
Kolmogorov-Smirnov statistic ``D = max_x |F_a(x) - F_b(x)|`` over the pooled values (``F`` the
empirical distribution functions, right-continuous, so ties count as in ``scipy.stats.ks_2samp``):
one test that sees a moved mean, a changed spread and a changed shape. Its p-value is Smirnov's
asymptotic one as scipy's ``method="asymp"`` computes it, ``kstwo.sf(D, round(n m / (n + m)))``;
ties (integer or coded columns) make it conservative. Per text column (its values' counts on each
side), Pearson's chi-square test of homogeneity of the ``2 x k`` table, ``X² = Σ (O - E)² / E`` with
``E`` the counts expected from the pooled shares, ``k - 1`` degrees of freedom (no continuity
correction), values neither side holds left out.

Across ``C`` features the p-values are adjusted by Benjamini & Hochberg (1995): ``q_(i) =
min_{j >= i} p_(j) C / j`` over the sorted ``p_(1) <= ... <= p_(C)``; calling a feature different when
``q <= alpha`` keeps the expected share of false ones among those called at most ``alpha``. Without
it, two draws of one distribution with 2,000 columns and 40 rows a side show about 90 columns moved
by half a standard deviation or more, and 30 images a side one of the 12 image statistics in most
draws.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import torch

from tlcore.metrics.inputs import check_pair

BLOCK = 2048  # columns per vectorised step (memory: BLOCK x (n + m) positions)
FDR = 0.05  # the default false discovery rate of every family of tests (statistics, columns, classes)


def _stats() -> ModuleType:
    """``scipy.stats``, imported at the first test: with scikit-learn, 0.7 s of the app's start."""
    import scipy.stats  # noqa: PLC0415 - see the docstring

    return scipy.stats


def ks_statistics(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Each column's two-sample Kolmogorov-Smirnov statistic ``D`` of ``a`` (n x C) vs ``b`` (m x C)."""
    check_pair(a, b, "the per-column Kolmogorov-Smirnov test", (1, 1))
    out = torch.empty(a.shape[1], dtype=torch.float64)
    for lo in range(0, a.shape[1], BLOCK):
        sa = a[:, lo : lo + BLOCK].T.sort(dim=1).values.contiguous()
        sb = b[:, lo : lo + BLOCK].T.sort(dim=1).values.contiguous()
        pooled = torch.cat([sa, sb], dim=1)
        fa = torch.searchsorted(sa, pooled, right=True) / sa.shape[1]
        fb = torch.searchsorted(sb, pooled, right=True) / sb.shape[1]
        out[lo : lo + BLOCK] = (fa - fb).abs().amax(dim=1)
    return out


def ks_p_values(statistics: torch.Tensor, n: int, m: int) -> np.ndarray:
    """Smirnov's asymptotic two-sided p-value of each ``D`` for samples of ``n`` and ``m`` (computed once
    per distinct ``D``: a statistic is a multiple of ``1 / lcm(n, m)``, so many columns share one)."""
    distinct, where = np.unique(statistics.numpy(), return_inverse=True)
    return np.asarray(_stats().kstwo.sf(distinct, round(n * m / (n + m))), dtype=np.float64)[where]


def welch_p_value(difference: float, spreads: tuple[float, float], sizes: tuple[float, float]) -> float:
    """Two-sided p-value of Welch's t-test (module docstring) of a ``difference`` of means, with each
    side's standard deviation and number of samples (an effective number for a weighted mean); 1
    with fewer than 2 samples on a side, 0 for a difference between two constant sides."""
    (s_s, s_t), (n_s, n_t) = spreads, sizes
    if min(n_s, n_t) < 2:
        return 1.0
    a, b = s_s**2 / n_s, s_t**2 / n_t
    if a + b == 0:
        return 0.0 if difference else 1.0
    df = (a + b) ** 2 / (a**2 / (n_s - 1) + b**2 / (n_t - 1))
    return float(2 * _stats().t.sf(abs(difference) / math.sqrt(a + b), df))


def chi_square_p_value(a: np.ndarray, b: np.ndarray) -> float:
    """The p-value of Pearson's chi-square test (module docstring) of two samples' counts of the same
    ``k`` values; 1 when fewer than two values are held by either side."""
    table = np.stack([np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)])
    table = table[:, table.sum(0) > 0]
    if table.shape[1] < 2 or min(table.sum(1)) == 0:
        return 1.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return float(_stats().chi2.sf(statistic, table.shape[1] - 1))


def fdr_adjusted(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (``q``, module docstring), in the input's order."""
    if len(p_values) == 0:
        return np.asarray(p_values, dtype=np.float64)
    return np.asarray(_stats().false_discovery_control(p_values, method="bh"), dtype=np.float64)
