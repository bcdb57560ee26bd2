"""Second-order (CORAL) and first-order (mean) distances between two feature distributions."""

from __future__ import annotations

import torch

from tlcore.metrics.inputs import check_pair


def _covariance(X: torch.Tensor) -> torch.Tensor:
    """Unbiased ``D x D`` covariance ``(X - mean)' (X - mean) / (n - 1)``."""
    Xc = X - X.mean(0, keepdim=True)
    return Xc.T @ Xc / (len(X) - 1)


def coral_loss(Xs: torch.Tensor, Xt: torch.Tensor) -> torch.Tensor:
    """CORAL distance ``||C_s - C_t||_F^2 / (4 d^2)`` (Sun & Saenko 2016, Deep CORAL, eq. 1).

    ``C_s``, ``C_t`` are the unbiased (``1/(n-1)``) covariance matrices of the ``n x d`` source and
    ``m x d`` target features. Differentiable, in the inputs' dtype: the Deep CORAL loss.
    """
    check_pair(Xs, Xt, "the CORAL distance")
    d = Xs.shape[1]
    diff = _covariance(Xs) - _covariance(Xt)
    return (diff * diff).sum() / (4 * d * d)


def coral_distance(Xs: torch.Tensor, Xt: torch.Tensor) -> float:
    """:func:`coral_loss` as a number, computed in float64 without gradients."""
    with torch.no_grad():
        return float(coral_loss(Xs.double(), Xt.double()))


def mean_distance(Xs: torch.Tensor, Xt: torch.Tensor) -> float:
    """Squared distance between the domain means ``||mu_s - mu_t||^2`` (first-order gap), in float64."""
    check_pair(Xs, Xt, "the mean distance", (1, 1))
    with torch.no_grad():
        return float(((Xs.double().mean(0) - Xt.double().mean(0)) ** 2).sum())
