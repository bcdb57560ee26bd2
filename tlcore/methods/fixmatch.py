"""Self-training: FixMatch-style consistency on two views of the target (Sohn et al. 2020, NeurIPS,
arXiv:2001.07685), with AdaMatch's distribution alignment for domain shift (Berthelot et al. 2022,
ICLR, arXiv:2106.04732) and a mean teacher's labels (Tarvainen & Valpola 2017, NeurIPS; French et
al. 2018, ICLR, arXiv:1706.05208, for domain adaptation).

The confident predictions on the weak view (the target batch as is) become hard pseudo-labels
for a strong view of the same samples (:func:`tlcore.data.augment.strong_augment`: stronger affine,
contrast/brightness, noise, cutout; noise and feature dropout for feature vectors):

    p_i = softmax(logits_weak_i)                                    (no gradient)
    p_i <- normalise(p_i * mean_s(softmax(logits_s)) / mean_t(p))   (align=True: AdaMatch)
    L = (1/B) sum_i 1[max_k p_ik >= tau] CE(logits_strong_i, argmax_k p_ik)

averaged over the whole batch, so it grows as the model becomes confident (the same warm-up as
``pseudo_label``, which is this loss with the weak view in place of the strong one, unaligned).
Plain FixMatch (``align=False``) amplifies a shifted source model's confident mistakes: on a
nuisance shift its pseudo-labels collapse onto one class (measured). The alignment rescales
the target predictions so that their batch mean matches the source batch's (no source labels
used), which assumes target class proportions near the source's. ``tau = 0.95`` is the paper's.
``teacher=True``: where the stage keeps a moving average of its weights (``ema_decay``), the weak
view is read by that average (the mean teacher, in eval mode) instead of the live model, so a label
follows the weights of the last ~``1 / (1 - decay)`` steps rather than the last step's; without an
average it is the live model, as in the paper. Its entry in :mod:`tlcore.method_table` declares
``needs={"strong_target_view", "target_teacher"}``: the loop then runs the strong view in the same
forward pass as the source and target batches, and the weak view through the average
(``teacher=False`` asks for no such pass: :meth:`~tlcore.method_params.FixMatchParams.unneeded`).
Default weight 1 (the paper's ``lambda_u``): the term is a cross-entropy on the scale of the source
loss.
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import FixMatchParams
from tlcore.methods.blocks import confident_labels
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs


def align_distribution(p_target: torch.Tensor, p_source: torch.Tensor) -> torch.Tensor:
    """Rows of ``p_target`` times ``mean(p_source) / mean(p_target)`` (per class), renormalised."""
    aligned = p_target * (p_source.mean(0) / p_target.mean(0).clamp_min(1e-12))
    return aligned / aligned.sum(1, keepdim=True)


def fixmatch_loss(
    logits_weak: torch.Tensor,
    logits_strong: torch.Tensor,
    threshold: float,
    logits_source: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(L, mask)``: confident weak-view labels trained on the strong view (rows are the same
    samples); with ``logits_source``, the weak-view predictions are aligned to the source's first."""
    with torch.no_grad():
        p = logits_weak.softmax(1)
        if logits_source is not None:
            p = align_distribution(p, logits_source.softmax(1))
    labels, mask = confident_labels(p, threshold)
    ce = nn.functional.cross_entropy(logits_strong, labels, reduction="none")
    return (mask * ce).mean(), mask


class FixMatchLoss(nn.Module):
    def __init__(self, threshold: float, align: bool, teacher: bool) -> None:
        super().__init__()
        self.threshold, self.align, self.teacher = threshold, align, teacher

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_weak = step.teacher_target() if self.teacher else step.target()[0]
        logits_strong, _ = step.target_strong()
        logits_source = step.logits_s if self.align else None
        loss, mask = fixmatch_loss(logits_weak, logits_strong, self.threshold, logits_source)
        return loss, {"confident": mask.mean().item()}


@builds("fixmatch")
def fixmatch(params: FixMatchParams, ctx: TermContext) -> FixMatchLoss:
    return FixMatchLoss(params.threshold, params.align, params.teacher)
