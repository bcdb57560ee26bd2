"""Proxy A-distance: how well a domain classifier tells source from target features; the same
classifier's held-out probabilities give density ratios (importance weights)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from tlcore.metrics.domain_test import FOLDS
from tlcore.metrics.inputs import check_pair


@dataclass(frozen=True)
class ADistanceResult:
    """``a_distance`` in ``[0, 2]``; ``error`` the held-out balanced error of the domain classifier.

    ``target_scores[i]`` is the held-out probability that target sample ``i`` is *target*
    ("foreignness": near 1 means nothing in the source looks like it), for every target sample, and
    ``target_log_odds[i]`` its log-odds ``ln(p / (1 - p))``, the classifier's own output, which tells
    apart the samples whose ``p`` all round to 1 (float32 holds ``p`` only to a log-odds of about 16.6);
    ``source_scores`` the same probability for every source sample (how target-like it looks, the
    basis of importance weights ``p / (1 - p)``).
    """

    a_distance: float
    error: float
    target_scores: np.ndarray
    n_folds: int
    source_scores: np.ndarray
    target_log_odds: np.ndarray


def proxy_a_distance(
    Xs: torch.Tensor | np.ndarray,
    Xt: torch.Tensor | np.ndarray,
    *,
    seed: int = 0,
    n_folds: int = FOLDS,
    C: float = 1.0,
    max_iter: int = 300,
) -> ADistanceResult:
    """Proxy A-distance ``PAD = 2 (1 - 2 err)`` (Ben-David et al. 2007; Ganin et al. 2016, sec. 5.1).

    The domain classifier is an L2-regularised logistic regression (inverse strength ``C``) on
    features standardised with the training fold's statistics. It is cross-fitted: the pooled
    samples are split into ``n_folds`` seeded stratified folds and each fold is scored by the model
    fitted on the others, so every entry of ``target_scores`` and ``source_scores`` is a held-out
    prediction. ``err`` is the *balanced* held-out error (mean of the source and target error
    rates, so unequal domain sizes do not pose as a gap: chance level is 0.5 for any ratio).
    ``PAD`` is clipped to ``[0, 2]``: errors above chance (possible by noise) give 0.
    """
    from sklearn.exceptions import ConvergenceWarning  # noqa: PLC0415 - scipy.stats and scikit-learn: 0.7 s of the app's start
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.model_selection import StratifiedKFold  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    Xs_np, Xt_np = (np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x) for x in (Xs, Xt))
    check_pair(Xs_np, Xt_np, "the proxy A-distance", (n_folds, n_folds))
    X = np.concatenate([Xs_np, Xt_np]).astype(np.float64)
    is_target = np.r_[np.zeros(len(Xs_np), dtype=int), np.ones(len(Xt_np), dtype=int)]
    p_target, log_odds = np.empty(len(X)), np.empty(len(X))
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for train, test in folds.split(X, is_target):
        model = make_pipeline(
            StandardScaler(),
            LogisticRegression(C=C, max_iter=max_iter, class_weight="balanced", random_state=seed),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # separable domains: large weights
            model.fit(X[train], is_target[train])
        p_target[test] = model.predict_proba(X[test])[:, 1]
        log_odds[test] = model.decision_function(X[test])
    wrong = (p_target >= 0.5).astype(int) != is_target
    error = 0.5 * (wrong[is_target == 0].mean() + wrong[is_target == 1].mean())
    return ADistanceResult(
        a_distance=float(np.clip(2.0 * (1.0 - 2.0 * error), 0.0, 2.0)),
        error=float(error),
        target_scores=p_target[len(Xs_np) :].astype(np.float32),
        source_scores=p_target[: len(Xs_np)].astype(np.float32),
        target_log_odds=log_odds[len(Xs_np) :].astype(np.float32),
        n_folds=n_folds,
    )


def density_ratio(p_target: np.ndarray) -> torch.Tensor:
    """``w = p / (1 - p)`` from held-out domain probabilities ``p = p(target | x)`` (float64, ``p``
    clipped to ``[1e-6, 1 - 1e-6]``).

    Bayes: ``p(t|x) / p(s|x) = (p_t(x) / p_s(x)) * (pi_t / pi_s)``. :func:`proxy_a_distance` fits its
    classifier with balanced class weights, i.e. with equal domain priors ``pi_t = pi_s``, so ``w``
    estimates the density ratio ``p_t(x) / p_s(x)`` itself; a classifier fitted with the empirical
    priors ``n_t / n_s`` would need the factor ``n_s / n_t`` (You et al. 2019's code) to give the same.
    """
    p = torch.as_tensor(p_target, dtype=torch.float64).clamp(1e-6, 1 - 1e-6)
    return p / (1 - p)
