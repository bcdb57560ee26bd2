"""MixVal: mixed target samples as probes (Hu, Liang, Liew, Xue, Bai & Wang 2023, NeurIPS, "Mixed
Samples as Probes for Unsupervised Model Selection in Domain Adaptation").

With a model's pseudo-labels ``y_i = argmax_k f(x_i)_k`` on the unlabelled target, every sample
``x_i`` is mixed with a partner ``x_j`` into ``x = lam x_i + (1 - lam) x_j`` (``lam = 0.55``, the
paper's: the mix belongs to ``x_i``'s pseudo-class). A probe's ICE is the share of mixes the model
predicts as ``y_i``: ``ICE_inter`` over partners of another pseudo-class (does the boundary sit between the
clusters?), ``ICE_intra`` over partners of the same pseudo-class (is each cluster one region?).
MixVal ranks a pool's runs by each ICE and averages the two ranks (higher is better), so, like EnsV,
it is computed across runs when they are read. The probes need the model, so each run stores its
two ICEs (:class:`~tlcore.selection.scores.ValidatorScores`); runs stored without them rank last.
Alone it can rank a nearly collapsed model first (mixes rarely leave its one big class): it is an
"advanced" validator, meant for the ranking behind the guardrails (:mod:`tlcore.selection.ranking`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from scipy.stats import rankdata

from tlcore.data.rng import generator

MIX_LAMBDA = 0.55

Predict = Callable[[torch.Tensor], torch.Tensor]  # inputs -> logits (or probabilities)


def mix_partners(pseudo: torch.Tensor, *, same_class: bool, gen: torch.Generator) -> torch.Tensor:
    """A partner index for every sample, -1 where there is none. Same class: one random cycle through
    each pseudo-class (nobody is their own partner; a class of one has none). Other class: a sample
    drawn uniformly from the other pseudo-classes (none when only one class is predicted)."""
    partners = torch.full_like(pseudo, -1)
    for c in torch.unique(pseudo):
        own = torch.nonzero(pseudo == c).flatten()
        if same_class:
            if len(own) > 1:
                cycle = own[torch.randperm(len(own), generator=gen)]
                partners[cycle] = cycle.roll(1)
            continue
        other = torch.nonzero(pseudo != c).flatten()
        if len(other):
            partners[own] = other[torch.randint(len(other), (len(own),), generator=gen)]
    return partners


def probe_accuracy(
    predict: Predict,
    X: torch.Tensor,
    pseudo: torch.Tensor,
    *,
    same_class: bool,
    gen: torch.Generator,
    lam: float = MIX_LAMBDA,
) -> float | None:
    """ICE: the share of mixes ``lam x_i + (1 - lam) x_partner`` predicted as ``pseudo[i]``; None
    without any partner."""
    partners = mix_partners(pseudo, same_class=same_class, gen=gen)
    keep = torch.nonzero(partners >= 0).flatten()
    if not len(keep):
        return None
    mixed = lam * X[keep] + (1 - lam) * X[partners[keep]]
    return float((predict(mixed).argmax(1).cpu() == pseudo[keep]).double().mean())


def mixup_probes(
    predict: Predict, X: torch.Tensor, pseudo: torch.Tensor, *, seed: int, lam: float = MIX_LAMBDA
) -> tuple[float | None, float | None]:
    """``(ICE_inter, ICE_intra)`` of a model on the target samples ``X`` with its pseudo-labels."""
    pseudo = pseudo.cpu().long()
    inter_gen, intra_gen = generator(seed, "mixval-inter"), generator(seed, "mixval-intra")
    inter = probe_accuracy(predict, X, pseudo, same_class=False, gen=inter_gen, lam=lam)
    intra = probe_accuracy(predict, X, pseudo, same_class=True, gen=intra_gen, lam=lam)
    return inter, intra


def mean_ranks(values: Mapping[str, float | None]) -> dict[str, float]:
    """Rank 1 for the lowest value up to ``n`` for the highest, tied values sharing their mean rank
    (``scipy.stats.rankdata``); a missing value (None) ranks below every present one."""
    column = [-np.inf if v is None else v for v in values.values()]
    return {k: float(r) for k, r in zip(values, rankdata(column, method="average"), strict=True)}


def mixval_scores(probes: Mapping[str, tuple[float | None, float | None]]) -> dict[str, float]:
    """MixVal of every run: the mean of its ``ICE_inter`` rank and its ``ICE_intra`` rank among
    ``probes`` (run id -> the two ICEs)."""
    inter = mean_ranks({run_id: ice[0] for run_id, ice in probes.items()})
    intra = mean_ranks({run_id: ice[1] for run_id, ice in probes.items()})
    return {run_id: (inter[run_id] + intra[run_id]) / 2 for run_id in probes}
