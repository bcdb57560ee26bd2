"""Self-training: confidence-thresholded pseudo-labels on the target (Lee 2013, "Pseudo-Label").

Each target sample whose predicted probability ``max_k p_ik`` reaches ``threshold`` is trained
towards its own predicted class ``argmax_k p_ik`` (computed without gradient):

    L_PL = (1/B) sum_i 1[max_k p_ik >= threshold] * CE(logits_i, argmax_k p_ik)

Averaged over the whole target batch, so the term grows as the model becomes confident (a natural
warm-up: an untrained model has few confident predictions).
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import PseudoLabelParams
from tlcore.methods.blocks import confident_labels
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs


def pseudo_label_loss(logits: torch.Tensor, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(L_PL, mask)`` for ``B x K`` target logits; ``mask`` marks the confident samples."""
    labels, mask = confident_labels(logits.softmax(1), threshold)
    ce = nn.functional.cross_entropy(logits, labels, reduction="none")
    return (mask * ce).mean(), mask


class PseudoLabelLoss(nn.Module):
    def __init__(self, threshold: float) -> None:
        super().__init__()
        self.threshold = threshold

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_t, _ = step.target()
        loss, mask = pseudo_label_loss(logits_t, self.threshold)
        return loss, {"confident": mask.mean().item()}


@builds("pseudo_label")
def pseudo_label(params: PseudoLabelParams, ctx: TermContext) -> PseudoLabelLoss:
    return PseudoLabelLoss(params.threshold)
