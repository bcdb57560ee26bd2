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


def coral_distance(Xs: torch.Tensor, Xt: torch.Tensor, block: int = 1024) -> float:
    """:func:`coral_loss` as a number, computed in float64 without gradients, in whichever form holds
    less: the ``d x d`` covariances while ``d <= n + m``, else the ``n x n``, ``m x m`` and ``n x m``
    Gram matrices of the centred samples, which give the same value without any ``d x d`` matrix::

        ||C_s - C_t||_F^2 = ||X_s X_s'||_F^2 / (n-1)^2 + ||X_t X_t'||_F^2 / (m-1)^2
                            - 2 ||X_s X_t'||_F^2 / ((n-1)(m-1))

    (``tr(C_s C_t) = ||X_s X_t'||_F^2 / ((n-1)(m-1))``), accumulated over ``block`` columns at a time.
    Either costs ``min(d, n + m)^2 max(d, n + m)`` operations.
    """
    check_pair(Xs, Xt, "the CORAL distance")
    n, m, d = len(Xs), len(Xt), Xs.shape[1]
    with torch.no_grad():
        if d <= n + m:
            diff = _covariance(Xs.double())
            diff -= _covariance(Xt.double())
            return float(diff.square_().sum() / (4 * d * d))
        gss, gtt, gst = (
            torch.zeros(a, b, dtype=torch.float64, device=Xs.device) for a, b in ((n, n), (m, m), (n, m))
        )
        for start in range(0, d, block):
            S, T = (X[:, start : start + block].double() for X in (Xs, Xt))
            S, T = S - S.mean(0), T - T.mean(0)
            gss.addmm_(S, S.T)
            gtt.addmm_(T, T.T)
            gst.addmm_(S, T.T)
        ss, tt, st = (float(G.square_().sum()) for G in (gss, gtt, gst))
        frobenius = ss / (n - 1) ** 2 + tt / (m - 1) ** 2 - 2 * st / ((n - 1) * (m - 1))
        return max(frobenius, 0.0) / (4 * d * d)  # a sum of squares: below 0 only by rounding


def mean_distance(Xs: torch.Tensor, Xt: torch.Tensor) -> float:
    """Squared distance between the domain means ``||mu_s - mu_t||^2`` (first-order gap), in float64."""
    check_pair(Xs, Xt, "the mean distance", (1, 1))
    with torch.no_grad():
        return float(((Xs.double().mean(0) - Xt.double().mean(0)) ** 2).sum())
