"""What a run stores about itself without target labels: :class:`RunValidators` in ``result.json``.

:func:`tlcore.selection.scoring.score_model` is the one place a model's label-free scores are
computed (the pipeline's evaluate stage calls it for the source-only model and for the adapted one);
this module only holds them, so reading runs loads no torch. :data:`VALIDATORS`
(:mod:`.settings`) names every validator the ranking can sort by, EnsV and MixVal included
(:data:`POOL_VALIDATORS`: computed across runs when read).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from tlcore.selection.mixval import MIX_LAMBDA
from tlcore.selection.predictions import TargetFingerprint
from tlcore.selection.settings import POOL_VALIDATORS, VALIDATORS


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
