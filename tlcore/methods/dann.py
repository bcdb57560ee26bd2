"""Feature-based transfer: DANN, domain-adversarial training (Ganin et al. 2016, JMLR 17, arXiv:1505.07818).

A domain discriminator ``D`` (MLP, ``d -> hidden -> hidden -> 1``) learns to tell source features
from target features, while a gradient reversal layer (GRL) between the features and ``D`` makes the
feature extractor maximise the discriminator's loss:

    L_dann = 1/2 [ BCE(D(R_lambda(f_s)), 0) + BCE(D(R_lambda(f_t)), 1) ]
    R_lambda(x) = x forward,   dR/dx = -lambda I backward
    lambda(p) = 2 / (1 + exp(-gamma p)) - 1,   p = training progress in [0, 1], gamma = 10

so ``lambda`` rises from 0 to ~1 and early, noisy discriminator gradients do not disturb the
features (the paper's schedule). ``D`` is trained by the same optimizer as the model; its width,
1,024 hidden units, is tllib's (the paper's Office discriminator).
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import DANNParams
from tlcore.methods.blocks import domain_discriminator, gradient_reversal, grl_lambda
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs


class DANNLoss(nn.Module):
    def __init__(self, feature_dim: int, hidden: int, gamma: float) -> None:
        super().__init__()
        self.gamma = gamma
        self.discriminator = domain_discriminator(feature_dim, hidden)

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        _, feats_t = step.target()
        coeff = grl_lambda(step.progress, self.gamma)
        feats = gradient_reversal(torch.cat([step.feats_s, feats_t]), coeff)
        scores = self.discriminator(feats).squeeze(1)  # B_s + B_t
        is_target = torch.cat([torch.zeros(len(step.feats_s)), torch.ones(len(feats_t))]).to(scores)
        per_sample = nn.functional.binary_cross_entropy_with_logits(scores, is_target, reduction="none")
        b = len(step.feats_s)
        loss = 0.5 * (per_sample[:b].mean() + per_sample[b:].mean())
        accuracy = ((scores > 0).float() == is_target).float().mean().item()
        return loss, {"lambda": coeff, "disc_accuracy": accuracy}


@builds("dann")
def dann(params: DANNParams, ctx: TermContext) -> DANNLoss:
    return DANNLoss(ctx.feature_dim, params.hidden, params.gamma)
