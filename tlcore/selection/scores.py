"""What a run stores about itself without target labels: :class:`RunValidators` in ``result.json``.

:func:`score_model` is the one place a model's label-free scores are computed (the pipeline's
evaluate stage calls it for the source-only model and for the adapted one). :data:`VALIDATORS`
(:mod:`.settings`) names every validator the ranking can sort by, EnsV and MixVal included
(:data:`POOL_VALIDATORS`: computed across runs when read).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

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
from tlcore.selection.mixval import MIX_LAMBDA, Predict, mixup_probes
from tlcore.selection.predictions import TargetFingerprint
from tlcore.selection.settings import POOL_VALIDATORS, VALIDATORS
from tlcore.selection.validators import (
    bnm_score,
    effective_classes,
    entropy_score,
    im_score,
    snd_score,
    source_accuracy,
)


@dataclass(frozen=True)
class ValidatorSettings:
    """How the stored scores are computed (part of the baseline cache's evaluation settings).

    ``domain_c`` (inverse L2 strength ``C``) and ``domain_folds``: the IWCV/DEV domain classifier;
    ``snd_temperature``: SND's ``T``; ``max_samples``: per side, a seeded subsample beyond it for the
    domain classifier (IWCV, DEV), for SND (its ``n x n`` similarities) and for the MixVal probes;
    ``seed``: those subsamples, the classifier's folds and the probes' partners; ``mix_lambda``: the
    probes' mixing weight of the sample whose pseudo-label the mix keeps.
    """

    seed: int = 0
    domain_c: float = 1.0
    domain_folds: int = 2
    snd_temperature: float = 0.05
    max_samples: int = 5000
    mix_lambda: float = MIX_LAMBDA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidatorSettings:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class ValidatorScores:
    """One model's label-free scores (each "higher is better", see :data:`VALIDATORS`) on the source
    validation split (``n_source``) and the unlabelled target train split (``n_target``), plus its
    ``effective_classes`` on the target (the collapse measure), its two MixVal probes
    (:mod:`tlcore.selection.mixval`; None where there was no pair to mix, or for runs stored before)
    and ``ess``, the effective sample size of the importance weights behind IWCV and DEV
    (:func:`~tlcore.selection.importance.effective_sample_size`; None for runs stored before)."""

    source_accuracy: float
    iwcv: float
    dev: float
    im: float
    bnm: float
    snd: float
    entropy: float
    effective_classes: float
    n_source: int
    n_target: int
    ice_inter: float | None = None
    ice_intra: float | None = None
    ess: float | None = None

    def scores(self) -> dict[str, float]:
        """The stored validators by name (EnsV and MixVal are not stored: they need the other runs)."""
        return {name: getattr(self, name) for name in VALIDATORS if name not in POOL_VALIDATORS}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidatorScores:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class RunValidators:
    """``result["validators"]``: the scores of the source-only model (``before``) and of the adapted
    one (``after``), how they were computed, and which target samples ``predictions.npz`` covers."""

    before: ValidatorScores
    after: ValidatorScores
    settings: ValidatorSettings
    target: TargetFingerprint

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "settings": self.settings.to_dict(),
            "target": self.target.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunValidators:
        return cls(
            ValidatorScores.from_dict(data["before"]),
            ValidatorScores.from_dict(data["after"]),
            ValidatorSettings.from_dict(data["settings"]),
            TargetFingerprint.from_dict(data["target"]),
        )


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
