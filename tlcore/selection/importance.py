"""Importance-weighted validation: the source validation risk reweighted towards the target.

Under covariate shift the target risk is ``E_s[w(x) l(x, y)]`` with the density ratio
``w(x) = p_t(x) / p_s(x)``. ``l`` is the per-sample cross-entropy ``-log p_{i, y_i}`` of the run's
model on the labelled source validation split; ``w`` comes from a domain classifier on the run's own
penultimate features (:func:`importance_weights`). Both validators report ``-risk``, so higher is
better. How many samples the weighted risk rests on is :func:`effective_sample_size`: a domain
classifier that separates the domains puts nearly all the weight on a few source samples.
"""

from __future__ import annotations

import numpy as np
import torch

from tlcore.metrics.a_distance import density_ratio, proxy_a_distance
from tlcore.selection.validators import as_probabilities


def cross_entropy_losses(p: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy ``l_i = -log p_{i, y_i}`` (``p`` clamped at 1e-12), float64."""
    probabilities = as_probabilities(p)
    labels = torch.as_tensor(y).cpu().long()
    picked = probabilities[torch.arange(len(labels)), labels]
    return (-torch.log(picked.clamp_min(1e-12))).numpy()


def importance_weights(
    F_source: torch.Tensor | np.ndarray,
    F_target: torch.Tensor | np.ndarray,
    *,
    seed: int = 0,
    C: float = 1.0,
    n_folds: int = 2,
) -> np.ndarray:
    """``w(x_i) = p(target | x_i) / p(source | x_i)`` for every source sample (float64).

    The domain classifier is :func:`tlcore.metrics.a_distance.proxy_a_distance`'s: a seeded,
    cross-fitted, L2-regularised logistic regression (inverse strength ``C``, ``n_folds`` folds) of
    the source (validation) against the target (train) features, so each source sample's ``p`` is a
    held-out prediction. It is fitted with balanced class weights (equal domain priors), so its odds
    estimate ``p_t(x) / p_s(x)`` directly: the prior factor ``n_s / n_t`` of Sugiyama et al. and
    You et al. is 1 here (:func:`~tlcore.metrics.a_distance.density_ratio`). With fewer than
    ``n_folds`` samples on a side no classifier can be fitted and every weight is 1.
    """
    if min(len(F_source), len(F_target)) < n_folds:
        return np.ones(len(F_source))
    result = proxy_a_distance(F_source, F_target, seed=seed, n_folds=n_folds, C=C)
    return density_ratio(result.source_scores).numpy()


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``ESS = (sum_i w_i)^2 / sum_i w_i^2`` (Kish 1965, *Survey
    Sampling*): ``n`` for equal weights, near 1 when one weight dominates, 0 without weights. A mean
    weighted by ``w`` is about as precise as a plain mean of ``ESS`` samples (standard error about
    ``sd / sqrt(ESS)``)."""
    w = np.asarray(weights, np.float64)
    squares = float(np.square(w).sum())
    return float(w.sum()) ** 2 / squares if squares > 0 else 0.0


def iwcv_risk(losses: np.ndarray, weights: np.ndarray) -> float:
    """Importance-weighted validation risk ``R_IW = (1/n) sum_i w_i l_i`` (Sugiyama, Krauledat &
    Müller 2007, JMLR, "Covariate Shift Adaptation by Importance Weighted Cross Validation"):
    unbiased for the target risk with the true ``w``, but its variance grows with that of ``w``."""
    return float(np.mean(np.asarray(weights, np.float64) * np.asarray(losses, np.float64)))


def dev_risk(losses: np.ndarray, weights: np.ndarray) -> float:
    """Deep embedded validation (You, Wang, Long & Jordan 2019, ICML, "Towards Accurate Model
    Selection in Deep Unsupervised Domain Adaptation"): IWCV with ``w`` as a control variate
    (``E_s[w] = 1``),

        R_DEV = mean(w l) + eta mean(w) - eta,     eta = -Cov(w l, w) / Var(w)

    (sample covariance and variance, both with ``n - 1``; ``eta = 0`` when the weights do not vary,
    ``Var(w) <= 1e-12 mean(w)^2``, and then ``R_DEV = R_IW``). It has the smallest variance among
    these unbiased estimators.
    """
    w = np.asarray(weights, np.float64)
    wl = w * np.asarray(losses, np.float64)
    variance = float(np.var(w, ddof=1)) if len(w) > 1 else 0.0
    varies = variance > 1e-12 * float(w.mean()) ** 2
    eta = -float(np.cov(wl, w, ddof=1)[0, 1]) / variance if varies else 0.0
    return float(wl.mean() + eta * w.mean() - eta)
