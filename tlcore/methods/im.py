"""Self-training: information maximisation on the target (SHOT-IM, Liang et al. 2020, ICML).

For target batch predictions ``p_i = softmax(logits_i)`` (``B x K``), minimise

    L_IM = (1/B) sum_i H(p_i)  -  diversity * H( (1/B) sum_i p_i ),   H(p) = -sum_k p_k log p_k

the first term makes each prediction confident, the second keeps the batch's predictions spread
over the classes (no collapse onto one). ``diversity = 1`` is the paper's equal weighting.

SHOT applies IM to a source-trained model; here it trains jointly with the source loss from the
start, so with ``ramp`` (default) the term is multiplied by DANN's schedule
``2 / (1 + exp(-10 p)) - 1`` over the training progress ``p``: entropy minimisation then cannot lock
in the random early predictions (without the ramp, a strong IM term can collapse the target
predictions onto a few classes).
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import IMParams
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.metrics.information import prediction_entropies
from tlcore.training import StepInputs, ramp_up


def information_maximisation(logits: torch.Tensor, diversity: float = 1.0) -> tuple[torch.Tensor, ...]:
    """``(L_IM, mean entropy, entropy of the mean)`` for ``B x K`` logits."""
    conditional, marginal = prediction_entropies(logits.softmax(1))
    return conditional - diversity * marginal, conditional, marginal


class IMLoss(nn.Module):
    def __init__(self, diversity: float, ramp: bool) -> None:
        super().__init__()
        self.diversity, self.ramp = diversity, ramp

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_t, _ = step.target()
        loss, conditional, marginal = information_maximisation(logits_t, self.diversity)
        scale = ramp_up(step.progress) if self.ramp else 1.0
        return scale * loss, {"entropy": conditional.item(), "diversity": marginal.item(), "scale": scale}


@builds("im")
def im(params: IMParams, ctx: TermContext) -> IMLoss:
    return IMLoss(params.diversity, params.ramp)
