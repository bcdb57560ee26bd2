"""Feature-based transfer, closed form: CORAL (Sun, Feng & Saenko 2016, "Return of Frustratingly Easy
Domain Adaptation", AAAI).

On the source-only baseline's penultimate features, source features are whitened with the source
covariance and re-coloured with the target covariance, so their second-order statistics match::

    C_s = cov(F_s) + eps I,   C_t = cov(F_t) + eps I         (eps = 1 as in the paper)
    F_s' = (F_s - mu_s) C_s^{-1/2} C_t^{1/2} + mu_t            (means aligned too when align_means)

then a new linear head is fitted on ``(F_s', y_s)`` by L2 logistic regression (scikit-learn, lbfgs,
features standardised; the scaling is folded into the head) and applied to the untouched target
features: the adapted model is the baseline's backbone with that head. Matrix powers come from a
symmetric eigendecomposition in float64.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from tlcore.errors import TLError
from tlcore.method_params import CoralParams
from tlcore.methods.context import StageContext, StageOutcome
from tlcore.methods.registry import builds
from tlcore.models import Classifier


def _sym_power(C: torch.Tensor, power: float) -> torch.Tensor:
    """``C^power`` for a symmetric positive definite ``C`` (eigendecomposition)."""
    values, vectors = torch.linalg.eigh(C)
    return (vectors * values.clamp_min(1e-12).pow(power)) @ vectors.T


def coral_transform(Fs: torch.Tensor, Ft: torch.Tensor, eps: float, align_means: bool) -> torch.Tensor:
    """Source features re-coloured with the target covariance (``n_s x d``, float64)."""
    Fs, Ft = Fs.double(), Ft.double()
    eye = torch.eye(Fs.shape[1], dtype=torch.float64)
    mu_s, mu_t = Fs.mean(0), Ft.mean(0)
    Cs = torch.cov(Fs.T) + eps * eye
    Ct = torch.cov(Ft.T) + eps * eye
    out = (Fs - mu_s) @ _sym_power(Cs, -0.5) @ _sym_power(Ct, 0.5)
    return out + (mu_t if align_means else mu_s)


def fit_head(
    model: Classifier, F: torch.Tensor, y: torch.Tensor, *, C: float, max_iter: int, seed: int
) -> None:
    """Replace ``model.head`` by a multinomial logistic regression fitted on ``(F, y)``."""
    from sklearn.exceptions import ConvergenceWarning  # noqa: PLC0415 - scipy.stats and scikit-learn: 0.7 s of the app's start
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    X = F.double().numpy()
    mean, std = X.mean(0), X.std(0) + 1e-8
    clf = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit((X - mean) / std, y.numpy())
    weight = np.zeros((model.n_classes, X.shape[1]))
    bias = np.full(model.n_classes, -1e4)  # classes absent from the source are never predicted
    coef = clf.coef_ if len(clf.classes_) > 2 else np.vstack([-clf.coef_[0], clf.coef_[0]]) / 2
    intercept = clf.intercept_ if len(clf.classes_) > 2 else np.r_[-clf.intercept_, clf.intercept_] / 2
    weight[clf.classes_] = coef / std
    bias[clf.classes_] = intercept - (coef / std) @ mean
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(weight))
        model.head.bias.copy_(torch.from_numpy(bias))


@builds("coral")
def coral(params: CoralParams, ctx: StageContext) -> StageOutcome:
    if ctx.source.y is None:
        raise TLError("coral needs a labelled source")
    model = ctx.baseline
    Fs, Ft = ctx.features(model, ctx.source), ctx.features(model, ctx.target)
    aligned = coral_transform(Fs, Ft, params.eps, params.align_means)
    fit_head(model, aligned, ctx.source.y, C=params.C, max_iter=params.max_iter, seed=ctx.seed)
    return StageOutcome(model, None, {"n_source": len(Fs), "n_target": len(Ft)})
