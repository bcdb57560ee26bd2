"""Instance-based transfer: importance weights from a domain classifier (Bickel et al. 2009).

Under covariate shift ``p_t(y|x) = p_s(y|x)`` the target risk is the source risk weighted by the
density ratio ``w(x) = p_t(x) / p_s(x)``. A probabilistic domain classifier gives it via Bayes:

    w(x) ∝ p(target | x) / p(source | x) = p(target | x) / (1 - p(target | x))

The classifier is the one behind the proxy A-distance (:func:`tlcore.metrics.proxy_a_distance`:
seeded, cross-fitted L2 logistic regression on standardised features with balanced class
weights, so the domain-size ratio is a constant that the normalisation removes); each source
sample's ``p`` is a held-out prediction; a small ``C`` keeps the probabilities smooth when the
domains are nearly separable. Weights are scaled to mean 1 with none above ``clip`` (bounding the
variance of the weighted loss), within each source class by default
(:meth:`~tlcore.methods.context.WeightsContext.normalise`).
"""

from __future__ import annotations

import torch

from tlcore.method_params import DomainWeightsParams
from tlcore.methods.context import WeightsContext
from tlcore.methods.registry import builds
from tlcore.metrics.a_distance import density_ratio, proxy_a_distance


@builds("domain_weights")
def domain_weights(params: DomainWeightsParams, ctx: WeightsContext) -> torch.Tensor:
    Fs, Ft = ctx.features(params.features)
    result = proxy_a_distance(Fs, Ft, seed=ctx.seed, n_folds=params.folds, C=params.C)
    return ctx.normalise(density_ratio(result.source_scores), params.clip, params.per_class)
