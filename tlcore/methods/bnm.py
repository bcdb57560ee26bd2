"""Self-training: BNM, batch nuclear-norm maximisation (Cui et al. 2020, CVPR, arXiv:2003.12237,
"Towards Discriminability and Diversity: Batch Nuclear-norm Maximization under Label Insufficient
Situations").

For the target batch probabilities ``P = softmax(logits_t)`` (``B x K``), minimise

    L_BNM = -||P||_* / B,   ||P||_* = sum of the singular values of P

The nuclear norm bounds the Frobenius norm (large for confident rows: discriminability) and
approximates the rank of ``P`` (large when the batch spans many classes: diversity), so
maximising it does what IM's two entropies do without their log terms. Gradients come from the
SVD (``torch.linalg.matrix_norm(P, "nuc")``).

Default weight 1, the paper's trade-off for domain adaptation: for ``B >= K``, ``L_BNM`` lies
between ``-sqrt(K / B)`` (confident predictions spread evenly over the classes) and
``-1 / sqrt(B K)`` (uniform predictions), on the scale of the source cross-entropy.
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import NoParams
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs


def bnm_loss(logits: torch.Tensor) -> torch.Tensor:
    """``-||softmax(logits)||_* / B`` for ``B x K`` logits."""
    p = logits.softmax(1)
    return -torch.linalg.matrix_norm(p, ord="nuc") / len(p)


class BNMLoss(nn.Module):
    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_t, _ = step.target()
        return bnm_loss(logits_t), {}


@builds("bnm")
def bnm(params: NoParams, ctx: TermContext) -> BNMLoss:
    return BNMLoss()
