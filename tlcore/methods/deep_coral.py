"""Feature-based transfer: Deep CORAL (Sun & Saenko 2016, ECCV workshops, arXiv:1607.01719).

Adds the CORAL distance between the source and target batches of one layer (``B x d``) to the loss:

    L_coral = ||C_s - C_t||_F^2 / (4 d^2),   C = (F - mean)' (F - mean) / (B - 1)

computed by :func:`tlcore.metrics.coral.coral_loss`, the differentiable form of the diagnosis'
:func:`tlcore.metrics.coral_distance` (same function, so training minimises what is reported).
The layer is the logits by default (``d`` = the number of classes: the paper's layer, the 31-d last
layer; weight 1), or the bottleneck features (``layer="features"``). On features of a few hundred
dimensions (the default networks' 256-wide bottleneck, plain LeNet's 500) the ``1/(4 d^2)`` factor
makes the term small beside the cross-entropy: give them weight 100 (the paper's advice: both losses
of similar size by the end of training), as the recommended recipe does. What each layer and weight
gives, and skada's choice: docs/defaults.md, "Bare methods and skada".
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import DeepCoralParams, Layer
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.metrics.coral import coral_loss
from tlcore.training import StepInputs


class DeepCoralLoss(nn.Module):
    """``(loss, logs)`` = CORAL distance of the source vs the target batch of ``layer``."""

    def __init__(self, layer: Layer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_t, feats_t = step.target()
        if self.layer == "logits":
            return coral_loss(step.logits_s, logits_t), {}
        return coral_loss(step.feats_s, feats_t), {}


@builds("deep_coral")
def deep_coral(params: DeepCoralParams, ctx: TermContext) -> DeepCoralLoss:
    return DeepCoralLoss(params.layer)
