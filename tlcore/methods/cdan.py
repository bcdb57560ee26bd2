"""Feature-based transfer: CDAN and CDAN+E, conditional adversarial domain adaptation
(Long, Cao, Wang & Jordan 2018, NeurIPS, arXiv:1705.10667).

DANN's discriminator sees the features ``f`` alone; CDAN's sees them conditioned on the
prediction ``g = softmax(logits)`` through the multilinear map, so it can align the joint
distribution of features and classes instead of the feature marginals:

    T(f, g) = vec(g f')                                  (B x d K, the outer product, flattened)
    T(f, g) = (R_f' f) * (R_g' g) / sqrt(r)              (B x r, randomized, when d K > 4096)
    L_cdan = 1/2 [ sum_s w_i BCE(D(R_lambda(T_i)), 0) / sum_s w_i
                 + sum_t w_j BCE(D(R_lambda(T_j)), 1) / sum_t w_j ]

with ``R_lambda`` DANN's gradient reversal (schedule ``lambda(p) = 2 / (1 + exp(-gamma p)) - 1``),
``R_f`` (``d x r``), ``R_g`` (``K x r``) standard normal matrices drawn once (seeded) and ``*``
the element-wise product. The paper uses the full map while ``d K <= 4096`` (the largest layer of
typical networks) and the randomized one with ``r = 1024`` otherwise; ``multilinear`` forces either.
``g`` is a constant (no gradient through the conditioning), as in the authors' code, so the
reversed gradient reaches the features only.

CDAN+E (``entropy=True``, default) weights each sample by ``w = 1 + exp(-H(g))``, normalised to
mean 1 within each domain (the authors' code): the discriminator's attention goes to confident,
transferable samples. With ``entropy=False``, ``w = 1`` and the loss has DANN's form.

Default weight 1, the paper's; the discriminator is DANN's (``hidden`` units).
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import CDANParams
from tlcore.methods.blocks import (
    domain_discriminator,
    entropy_weights,
    gradient_reversal,
    grl_lambda,
)
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs

FULL_MAP_MAX = 4096  # the paper's rule: the full multilinear map up to d K = 4096, randomized above


def multilinear_map(f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``vec(g_i f_i')`` per row: ``B x d`` and ``B x K`` -> ``B x (K d)``, entry ``k d + j = g_k f_j``."""
    return (g.unsqueeze(2) * f.unsqueeze(1)).flatten(1)


class RandomizedMultilinearMap(nn.Module):
    """``(f R_f) * (g R_g) / sqrt(r)``: an unbiased estimate of the full map's inner products
    (``E <T(a), T(b)> = <f_a, f_b> <g_a, g_b>``) in ``r`` dimensions; ``R`` fixed, standard normal."""

    def __init__(self, feature_dim: int, n_classes: int, dim: int) -> None:
        super().__init__()
        self.register_buffer("r_f", torch.randn(feature_dim, dim))
        self.register_buffer("r_g", torch.randn(n_classes, dim))
        self.dim = dim

    def forward(self, f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return (f @ self.r_f) * (g @ self.r_g) / self.dim**0.5


class CDANLoss(nn.Module):
    def __init__(self, params: CDANParams, feature_dim: int, n_classes: int) -> None:
        super().__init__()
        self.entropy, self.gamma = params.entropy, params.gamma
        full = feature_dim * n_classes
        randomized = params.multilinear == "randomized" or (
            params.multilinear == "auto" and full > FULL_MAP_MAX
        )
        self.map = RandomizedMultilinearMap(feature_dim, n_classes, params.random_dim) if randomized else None
        self.discriminator = domain_discriminator(params.random_dim if randomized else full, params.hidden)

    def conditioned(self, feats: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """The discriminator's input ``T(f, g)`` with ``g = softmax(logits)`` held constant."""
        g = logits.detach().softmax(1)
        return multilinear_map(feats, g) if self.map is None else self.map(feats, g)

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_t, feats_t = step.target()
        b = len(step.feats_s)
        coeff = grl_lambda(step.progress, self.gamma)
        feats = gradient_reversal(torch.cat([step.feats_s, feats_t]), coeff)
        logits = torch.cat([step.logits_s, logits_t])
        scores = self.discriminator(self.conditioned(feats, logits)).squeeze(1)  # B_s + B_t
        is_target = torch.cat([torch.zeros(b), torch.ones(len(feats_t))]).to(scores)
        per_sample = nn.functional.binary_cross_entropy_with_logits(scores, is_target, reduction="none")
        if self.entropy:  # mean-1 weights within each domain
            p = logits.detach().softmax(1)
            per_sample = torch.cat([entropy_weights(p[:b]), entropy_weights(p[b:])]) * per_sample
        loss = 0.5 * (per_sample[:b].mean() + per_sample[b:].mean())
        accuracy = ((scores > 0).float() == is_target).float().mean().item()
        return loss, {"lambda": coeff, "disc_accuracy": accuracy}


@builds("cdan")
def cdan(params: CDANParams, ctx: TermContext) -> CDANLoss:
    return CDANLoss(params, ctx.feature_dim, ctx.n_classes)
