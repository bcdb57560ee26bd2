"""Semi-supervised adaptation: a few labelled target samples trained beside the unsupervised terms
(the "S+T" baseline of semi-supervised domain adaptation, Saito et al. 2019, ICCV, arXiv:1904.06487).

Each step draws a batch of the ``k`` labelled target samples per class (the loop's
``"labelled_target"`` need: the same forward pass as the source and target batches, augmented as
the source is) and adds their cross-entropy to the loss:

    L = (1 / B_l) sum_i CE(logits_i^tl, y_i^tl)

With a recipe (``adapt --recipe recommended --target-labels K``) the unsupervised terms keep
shaping the whole target while these labels anchor each class, so a class the shift made ambiguous
is settled by a few of its own samples instead of by the source. ``k`` is
``AdaptConfig.target_labels`` when set (> 0), else ``shots``; the samples are a seeded draw from
the target *train* split, as ``finetune`` draws them. Default weight 1: the term is a
cross-entropy on the scale of the source loss.
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import LabelledTargetParams
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs


class LabelledTargetLoss(nn.Module):
    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits, labels = step.labelled_target()
        loss = nn.functional.cross_entropy(logits, labels)
        accuracy = (logits.argmax(1) == labels).float().mean().item()
        return loss, {"accuracy": accuracy}


@builds("labelled_target")
def labelled_target(params: LabelledTargetParams, ctx: TermContext) -> LabelledTargetLoss:
    return LabelledTargetLoss()
