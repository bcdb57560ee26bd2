"""MixVal: mixed target samples as probes (Hu, Liang, Liew, Xue, Bai & Wang 2023, NeurIPS, "Mixed
Samples as Probes for Unsupervised Model Selection in Domain Adaptation").

With a model's pseudo-labels ``y_i = argmax_k f(x_i)_k`` on the unlabelled target, every sample
``x_i`` is mixed with a partner ``x_j`` into ``x = lam x_i + (1 - lam) x_j`` (``lam = 0.55``, the
paper's: the mix belongs to ``x_i``'s pseudo-class). A probe's ICE is the share of mixes the model
predicts as ``y_i``: ``ICE_inter`` over partners of another pseudo-class (does the boundary sit between the
clusters?), ``ICE_intra`` over partners of the same pseudo-class (is each cluster one region?).
MixVal ranks a pool's runs by each ICE and averages the two ranks (higher is better), so, like EnsV,
it is computed across runs when they are read. The probes need the model, so each run stores its
two ICEs (:class:`~tlcore.selection.scores.ValidatorScores`, computed by :mod:`.scoring` when it
finishes); runs stored without them rank last.
Alone it can rank a nearly collapsed model first (mixes rarely leave its one big class): it is an
"advanced" validator, meant for the ranking behind the guardrails (:mod:`tlcore.selection.ranking`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

MIX_LAMBDA = 0.55


def mean_ranks(values: Mapping[str, float | None]) -> dict[str, float]:
    """Rank 1 for the lowest value up to ``n`` for the highest, tied values sharing their mean rank
    (``scipy.stats.rankdata``'s ``average``, without importing scipy.stats: a value above ``low`` others
    and equal to ``high - low`` takes ranks ``low + 1 .. high``, mean ``(low + 1 + high) / 2``); a missing
    value (None) ranks below every present one."""
    column = np.array([-np.inf if v is None else v for v in values.values()], dtype=np.float64)
    ordered = np.sort(column)
    low, high = np.searchsorted(ordered, column, "left"), np.searchsorted(ordered, column, "right")
    return {k: float(r) for k, r in zip(values, (low + 1 + high) / 2, strict=True)}


def mixval_scores(probes: Mapping[str, tuple[float | None, float | None]]) -> dict[str, float]:
    """MixVal of every run: the mean of its ``ICE_inter`` rank and its ``ICE_intra`` rank among
    ``probes`` (run id -> the two ICEs)."""
    inter = mean_ranks({run_id: ice[0] for run_id, ice in probes.items()})
    intra = mean_ranks({run_id: ice[1] for run_id, ice in probes.items()})
    return {run_id: (inter[run_id] + intra[run_id]) / 2 for run_id in probes}
