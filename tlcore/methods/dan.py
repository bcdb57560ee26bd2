"""Feature-based transfer: DAN, multi-kernel MMD (Long et al. 2015, ICML, arXiv:1502.02791).

Adds the squared MMD between the source and target batches under a family of kernels to the loss,
on every task-specific layer as the paper does (its fc6-fc8): the bottleneck features
(``B_s x d``, ``B_t x d``) and the logits (``B_s x K``, ``B_t x K``; ``logits=False`` or ``w = 0``:
the features alone), each layer with its own bandwidths, the logits' term weighted by ``w``
(``logits_weight``),

    L_DAN = MMD2_b(F_s, F_t) + w * MMD2_b(Z_s, Z_t)

with the biased (V-statistic) estimate (Gretton et al. 2012, eq. 5) on each:

    k(x, y) = sum_u exp(-||x - y|| / sigma_u),  sigma_u = sigma * 2^(-8 + u/2), u = 0..32
    sigma   = median_{i,j} ||s_i - s_j||  (the source batch's distance matrix, diagonal included)
    MMD2_b  = 1/n^2 sum_{i,j} k(s_i, s_j) + 1/m^2 sum_{i,j} k(t_i, t_j) - 2/(nm) sum_{i,j} k(s_i, t_j)

The paper's bandwidth family (2^-8..2^8 times the median, steps of 2^(1/2)) with Laplacian kernels
on the distance, summed with equal weights where the paper learns them (skada's DAN computes the
same estimate); ``sigma`` follows the features (not detached). Weight 1: the sum over 33 kernels is
already large. The README compares this estimate with the Gaussian mixture and the U-statistic;
docs/defaults.md what adapting the logits as well changes.
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.method_params import DANParams
from tlcore.methods.context import TermContext
from tlcore.methods.registry import builds
from tlcore.training import StepInputs

SCALES = tuple(2.0**-8 * 2.0 ** (u / 2) for u in range(33))  # sigma_u / sigma
MEDIAN_EPS = 1e-7  # keeps sigma > 0 when the source features collapse to a point


def laplacian_sum(D: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """``K[i, j] = sum_u exp(-D[i, j] / sigma_u)`` for a distance matrix ``D`` and bandwidths ``sigmas``."""
    scaled = (1.0 / sigmas).view(-1, 1) * D.reshape(1, -1)  # U x (n m)
    return torch.exp(-scaled).sum(0).view_as(D)


def mk_mmd2(Xs: torch.Tensor, Xt: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Differentiable biased MMD² under the 33 Laplacian kernels (module docstring), and ``sigma``."""
    d_ss = torch.cdist(Xs, Xs)
    sigma = torch.median(d_ss) + MEDIAN_EPS
    sigmas = sigma * torch.tensor(SCALES, dtype=Xs.dtype, device=Xs.device)
    k_ss = laplacian_sum(d_ss, sigmas).mean()
    k_tt = laplacian_sum(torch.cdist(Xt, Xt), sigmas).mean()
    k_st = laplacian_sum(torch.cdist(Xs, Xt), sigmas).mean()
    return k_ss + k_tt - 2 * k_st, float(sigma.detach())


class DANLoss(nn.Module):
    def __init__(self, logits: bool, logits_weight: float) -> None:
        super().__init__()
        self.logits = logits
        self.logits_weight = logits_weight

    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        logits_t, feats_t = step.target()
        loss, sigma = mk_mmd2(step.feats_s, feats_t)
        logs = {"sigma": sigma}
        if self.logits and self.logits_weight > 0:  # w = 0: the features alone, as logits=False
            on_logits, sigma_logits = mk_mmd2(step.logits_s, logits_t)
            logs |= {
                "mmd2_features": loss.item(),
                "mmd2_logits": on_logits.item(),
                "sigma_logits": sigma_logits,
            }
            loss = loss + self.logits_weight * on_logits
        return loss, logs


@builds("dan")
def dan(params: DANParams, ctx: TermContext) -> DANLoss:
    return DANLoss(params.logits, params.logits_weight)
