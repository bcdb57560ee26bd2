"""Prior correction for label shift: re-weight the classifier's outputs by the target's class priors.

Under label shift (``p_t(x | y) = p_s(x | y)``, only the class proportions move) Bayes' rule gives
the target posterior from the source one (Saerens, Latinne & Decaestecker 2002, Neural Computation;
Lipton, Wang & Smola 2018, ICML)::

    p_t(y | x) ∝ (π_t(y) / π_s(y)) p_s(y | x)   <=>   logits_t = logits_s + log(π_t(y) / π_s(y))

so the correction only shifts the head's bias. ``p_s(y | x)`` should be calibrated: with
``calibrate`` (default) it is ``softmax(a · logits + b)``, bias-corrected temperature scaling fitted
on the source validation split, and the corrected head is ``W' = a W``, ``b' = a b_head + b +
log(π_t / π_s)``; without, ``b' = b_head + log(π_t / π_s)``. The features are unchanged.

``π_t`` is estimated after training, on the unlabelled target train split, by EM (default) or BBSE
(:func:`tlcore.metrics.prior_shift.estimate_label_shift`, no bootstrap); ``π_s`` are the source
validation split's class frequencies (stratified like the training split). Blank images (no ink)
are left out of both, as a diagnosis's estimate leaves them (:func:`tlcore.data.ink.without_blank`):
a model's output on an empty scan says nothing of its class. A transform: it runs
after any other method (``source_only+prior_correction``, ``deep_coral+im+prior_correction``).
"""

from __future__ import annotations

from dataclasses import asdict

import torch

from tlcore.data.ink import without_blank
from tlcore.errors import TLError
from tlcore.features import model_outputs
from tlcore.method_params import PriorCorrectionParams
from tlcore.methods.context import TransformContext, TransformOutcome
from tlcore.methods.registry import builds
from tlcore.metrics.prior_shift import LabelShiftSettings, estimate_label_shift
from tlcore.metrics.priors import Calibration, prior_log_ratio
from tlcore.models import Classifier


@torch.no_grad()
def correct_head(model: Classifier, shift: torch.Tensor, calibration: Calibration | None = None) -> None:
    """Make ``model`` output ``a · logits + b + shift`` (``a``, ``b`` from ``calibration``; plain
    ``logits + shift`` without), by rewriting its linear head in place."""
    head = model.head
    bias = shift.to(head.bias)
    if calibration is not None:
        head.weight.mul_(calibration.scale)
        head.bias.mul_(calibration.scale)
        bias = bias + torch.tensor(calibration.bias).to(head.bias)
    head.bias.add_(bias)


@builds("prior_correction")
def prior_correction(params: PriorCorrectionParams, ctx: TransformContext) -> TransformOutcome:
    if ctx.source_val.y is None:
        raise TLError("prior_correction needs a labelled source validation split")
    (val, n_blank_val), (target, n_blank_target) = without_blank(ctx.source_val), without_blank(ctx.target)
    assert val.y is not None
    logits_val, _ = model_outputs(ctx.model, val.X, device=ctx.device)
    logits_target, _ = model_outputs(ctx.model, target.X, device=ctx.device)
    settings = LabelShiftSettings(
        calibrate=params.calibrate, max_iter=params.max_iter, n_bootstrap=0, n_null=0
    )
    estimate = estimate_label_shift(logits_val, val.y, logits_target, val.classes, settings=settings)
    chosen = estimate.em if params.estimator == "em" else estimate.bbse
    source = torch.tensor(estimate.source_prior, dtype=torch.float64)
    shift = prior_log_ratio(torch.tensor(chosen.priors, dtype=torch.float64), source)
    correct_head(ctx.model, shift, estimate.calibration)
    info = {
        "estimator": params.estimator,
        "target_prior": list(chosen.priors),
        "source_prior": list(estimate.source_prior),
        "tv": chosen.tv,
        "calibration": None if estimate.calibration is None else asdict(estimate.calibration),
        "note": chosen.note,
        "n_blank_source_val": n_blank_val,
        "n_blank_target": n_blank_target,
    }
    return TransformOutcome(ctx.model, info)
