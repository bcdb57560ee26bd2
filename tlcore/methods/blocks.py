"""Building blocks several methods share (pure tensor functions and one small module).

- :func:`entropy_weights`, the certainty weights ``1 + exp(-H(p_i))`` scaled to mean 1 (MCC, CDAN+E);
- :func:`confident_labels`, thresholded argmax pseudo-labels (``pseudo_label``, ``fixmatch``);
- :func:`gradient_reversal` and its schedule :func:`grl_lambda`, and :func:`domain_discriminator`
  (DANN, CDAN), whose widths :func:`tlcore.method_params.check_widths` bounds.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tlcore.metrics.information import entropy
from tlcore.training import ramp_up


def entropy_weights(p: torch.Tensor) -> torch.Tensor:
    """``w_i = B (1 + exp(-H(p_i))) / sum_j (1 + exp(-H(p_j)))`` for ``B x K`` probabilities: mean 1,
    confident rows up to twice a uniform row's weight; constant (no gradient)."""
    w = 1.0 + torch.exp(-entropy(p.detach()))
    return w * (len(w) / w.sum())


def confident_labels(p: torch.Tensor, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(argmax_k p_ik, 1[max_k p_ik >= threshold])`` for ``B x K`` probabilities (no gradient;
    the mask as floats): hard pseudo-labels and which of them are confident."""
    with torch.no_grad():
        confidence, labels = p.max(1)
        return labels, (confidence >= threshold).float()


def grl_lambda(progress: float, gamma: float = 10.0) -> float:
    """The DANN schedule ``2 / (1 + exp(-gamma p)) - 1`` (:func:`tlcore.training.ramp_up`)."""
    return ramp_up(progress, gamma)


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, coeff: float) -> torch.Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.coeff * grad, None


def gradient_reversal(x: torch.Tensor, coeff: float) -> torch.Tensor:
    """Identity forward; multiplies the gradient by ``-coeff`` backward."""
    return _GradientReversal.apply(x, coeff)


def domain_discriminator(in_dim: int, hidden: int) -> nn.Sequential:
    """The domain classifier MLP ``in_dim -> hidden -> hidden -> 1`` (ReLU; one logit, target = 1)."""
    return nn.Sequential(
        nn.Linear(in_dim, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 1),
    )
