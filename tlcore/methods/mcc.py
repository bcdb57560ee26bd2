"""Self-training: MCC, minimum class confusion (Jin, Wang, Long & Wang 2020, ECCV, arXiv:1912.03699).

From the target batch logits ``Z`` (``B x K``), with temperature ``T``:

    Y_ij = exp(Z_ij / T) / sum_j' exp(Z_ij' / T)                      (temperature-scaled probabilities)
    W_ii = B (1 + exp(-H(Y_i))) / sum_i' (1 + exp(-H(Y_i')))           (certain samples count more)
    C = Y' W Y                                                         (K x K class confusion)
    C~_jj' = C_jj' / sum_j'' C_jj''                                    (category normalisation: rows sum to 1)
    L_MCC = (1/K) sum_j sum_{j' != j} C~_jj'

so ``L_MCC = 1 - trace(C~) / K``: it falls as the target predictions stop sharing probability
between classes. ``C`` is symmetric, so normalising rows or columns (tllib divides by
``C.sum(dim=1)`` broadcast over columns) gives the same loss. The weights are constants
(no gradient), as in the authors' code.

Family: self-training (it acts on the target predictions, like IM; the paper calls it a
non-adversarial domain adaptation loss). ``T = 2.5`` is the paper's. The default weight is 1,
the paper's trade-off: the loss lies in ``[0, 1 - 1/K]`` like a cross-entropy early in
training, and larger weights let it lock in the source model's early mistakes.
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import MCCParams
from tlcore.methods.blocks import entropy_weights
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs


def class_confusion(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """The category-normalised class confusion ``C~`` (``K x K``, rows sum to 1) of ``B x K`` logits."""
    p = (logits / temperature).softmax(1)  # B x K
    w = entropy_weights(p)  # B, mean 1
    confusion = p.T @ (w[:, None] * p)  # K x K, symmetric
    return confusion / confusion.sum(1, keepdim=True)


def mcc_loss(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``L_MCC``: the off-diagonal mass of :func:`class_confusion` over ``K``."""
    normalised = class_confusion(logits, temperature)
    k = normalised.shape[0]
    return (normalised.sum() - normalised.trace()) / k


class MCCLoss(nn.Module):
    def __init__(self, temperature: float) -> None:
        super().__init__()
        self.temperature = temperature

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_t, _ = step.target()
        return mcc_loss(logits_t, self.temperature), {}


@builds("mcc")
def mcc(params: MCCParams, ctx: TermContext) -> MCCLoss:
    return MCCLoss(params.temperature)
