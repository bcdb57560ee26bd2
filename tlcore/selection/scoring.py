"""A model's label-free scores, computed once when its run finishes, with the model at hand (torch):
:func:`score_model`, every stored validator (:class:`~tlcore.selection.scores.ValidatorScores`), and
MixVal's probes (:mod:`.mixval`: Hu et al. 2023, NeurIPS): each target sample mixed with a partner of
another pseudo-class (``ICE_inter``) or of its own (``ICE_intra``), and the share of mixes the model
still predicts as the sample's pseudo-label. Reading runs uses the stored numbers
(:mod:`.scores`, :func:`~tlcore.selection.mixval.mixval_scores`) without torch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from tlcore.data.rng import generator
from tlcore.selection.importance import (
    cross_entropy_losses,
    dev_risk,
    effective_sample_size,
    importance_weights,
    iwcv_risk,
)
from tlcore.selection.mixval import MIX_LAMBDA
from tlcore.selection.scores import ValidatorScores, ValidatorSettings
from tlcore.selection.validators import (
    bnm_score,
    effective_classes,
    entropy_score,
    im_score,
    snd_score,
    source_accuracy,
)

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


def _cap(n: int, cap: int, seed: int, purpose: str) -> torch.Tensor:
    """All indices ``0..n-1``, or a seeded sorted subsample of ``cap`` of them."""
    if n <= cap:
        return torch.arange(n)
    return torch.randperm(n, generator=generator(seed, purpose))[:cap].sort().values


def score_model(
    *,
    p_source: torch.Tensor | np.ndarray,
    y_source: torch.Tensor | np.ndarray,
    F_source: torch.Tensor,
    p_target: torch.Tensor | np.ndarray,
    F_target: torch.Tensor,
    X_target: torch.Tensor,
    predict: Predict,
    settings: ValidatorSettings,
) -> ValidatorScores:
    """Every stored validator of one model from its source validation probabilities, labels and
    penultimate features, its target (train) probabilities and features, and, for the MixVal probes,
    the target inputs ``X_target`` (the same samples) and the model itself (``predict``: inputs ->
    logits); no target label."""
    s = settings
    index_s = _cap(len(F_source), s.max_samples, s.seed, "validators-source")
    index_t = _cap(len(F_target), s.max_samples, s.seed, "validators-target")
    weights = importance_weights(
        F_source[index_s], F_target[index_t], seed=s.seed, C=s.domain_c, n_folds=s.domain_folds
    )
    losses = cross_entropy_losses(torch.as_tensor(p_source)[index_s], torch.as_tensor(y_source)[index_s])
    pseudo = torch.as_tensor(p_target).argmax(1)[index_t]
    ice_inter, ice_intra = mixup_probes(predict, X_target[index_t], pseudo, seed=s.seed, lam=s.mix_lambda)
    return ValidatorScores(
        source_accuracy=source_accuracy(p_source, y_source),
        iwcv=-iwcv_risk(losses, weights),
        dev=-dev_risk(losses, weights),
        im=im_score(p_target),
        bnm=bnm_score(p_target),
        snd=snd_score(torch.as_tensor(p_target)[index_t], s.snd_temperature),
        entropy=entropy_score(p_target),
        effective_classes=effective_classes(p_target),
        n_source=len(F_source),
        n_target=len(F_target),
        ice_inter=ice_inter,
        ice_intra=ice_intra,
        ess=effective_sample_size(weights),
    )
