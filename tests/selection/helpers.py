"""Constructed candidates: validator scores consistent with the given probabilities."""

from __future__ import annotations

import numpy as np

from tlcore.metrics.mcnemar import PairedChange
from tlcore.selection.pool import Candidate, Pool
from tlcore.selection.predictions import TargetFingerprint, TargetPredictions
from tlcore.selection.scores import RunValidators, ValidatorScores, ValidatorSettings
from tlcore.selection.validators import bnm_score, effective_classes, entropy_score, im_score, snd_score


def scores(
    p: np.ndarray,
    source_accuracy: float,
    ice: tuple[float | None, float | None] = (None, None),
    ess: float | None = None,
) -> ValidatorScores:
    """Target-side scores computed from ``p``; the source-side ones made up around ``source_accuracy``,
    the MixVal probes and the importance weights' effective sample size given (``ice``: ICE_inter,
    ICE_intra; ``ess`` of 100 source samples)."""
    return ValidatorScores(
        source_accuracy=source_accuracy,
        iwcv=-(1 - source_accuracy),
        dev=-(1 - source_accuracy),
        im=im_score(p),
        bnm=bnm_score(p),
        snd=snd_score(p),
        entropy=entropy_score(p),
        effective_classes=effective_classes(p),
        n_source=100,
        n_target=len(p),
        ice_inter=ice[0],
        ice_intra=ice[1],
        ess=ess,
    )


def candidate(
    run_id: str,
    before: np.ndarray,
    after: np.ndarray,
    *,
    source_before: float = 0.95,
    source_after: float = 0.95,
    target_accuracy: float | None = None,
    source_only_accuracy: float | None = None,
    method: str = "deep_coral",
    ice: tuple[float | None, float | None] = (None, None),
    ess: float | None = None,
    paired: PairedChange | None = None,
) -> Candidate:
    validators = RunValidators(
        scores(before, source_before),
        scores(after, source_after, ice, ess),
        ValidatorSettings(),
        TargetFingerprint(len(before), "same"),
    )
    predictions = TargetPredictions(before.astype(np.float32), after.astype(np.float32))
    return Candidate(run_id, method, validators, predictions, target_accuracy, source_only_accuracy, paired)


def probabilities(labels: np.ndarray, confidence: float, k: int = 3) -> np.ndarray:
    """``confidence`` on ``labels``, the rest spread evenly."""
    p = np.full((len(labels), k), (1 - confidence) / (k - 1))
    p[np.arange(len(labels)), labels] = confidence
    return p


Y = np.arange(30) % 3  # the (hidden) truth of 30 target samples, 3 classes
BASELINE = probabilities(np.where(np.arange(30) < 20, Y, (Y + 1) % 3), 0.6)  # right on 20 of 30
GOOD = probabilities(Y, 0.9)
GOOD_TOO = probabilities(Y, 0.85)  # another good model: beside it, a run's ensemble holds a third model
COLLAPSED = probabilities(np.zeros(30, dtype=int), 0.95)


def pair_pool(*candidates: Candidate) -> Pool:
    """The candidates as one pool of the pair ``src`` → ``tgt``."""
    return Pool("src", "tgt", tuple(candidates))
