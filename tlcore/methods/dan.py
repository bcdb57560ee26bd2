"""Feature-based transfer: DAN, multi-kernel MMD (Long et al. 2015, ICML, arXiv:1502.02791).

Adds the squared MMD between source and target batch features (``B_s x d``, ``B_t x d``) under a
mixture of Gaussian kernels to the loss, with the unbiased U-statistic (Gretton et al. 2012, eq. 3):

    k(x, y) = (1/M) sum_m exp(-||x - y||^2 / (2 sigma_m^2)),  sigma_m = sigma_med * 2^p, p in -2..2
    MMD2_u = 1/(n(n-1)) sum_{i!=j} k(s_i, s_j) + 1/(m(m-1)) sum_{i!=j} k(t_i, t_j)
             - 2/(nm) sum_{i,j} k(s_i, t_j)

The kernels, the median heuristic (on the detached pooled batch) and the bandwidth mixture are
those of :mod:`tlcore.metrics.kernels`, the same the diagnosis uses; DAN's learned kernel weights
are replaced by equal weights (as in most re-implementations, e.g. tllib). Default weight 10: the
batch MMD² is small (~1e-3..1e-2), so with weight 1 the term barely moves the features.
"""

from __future__ import annotations

import torch
from torch import nn

from tlcore.methods.context import TermContext
from tlcore.methods.registry import NoParams, register_term
from tlcore.metrics import gaussian_kernel, median_bandwidth, mixture_bandwidths
from tlcore.training import StepInputs


def mk_mmd2(Xs: torch.Tensor, Xt: torch.Tensor) -> tuple[torch.Tensor, tuple[float, ...]]:
    """Differentiable unbiased MMD² under the median-times-``2^{-2..2}`` mixture, and the bandwidths."""
    n, m = len(Xs), len(Xt)
    bandwidths = mixture_bandwidths(median_bandwidth(Xs.detach(), Xt.detach()))
    K = gaussian_kernel(torch.cat([Xs, Xt]), None, bandwidths)  # (n+m) x (n+m), unit diagonal
    kss = (K[:n, :n].sum() - n) / (n * (n - 1))
    ktt = (K[n:, n:].sum() - m) / (m * (m - 1))
    kst = K[:n, n:].mean()
    return kss + ktt - 2 * kst, bandwidths


class DANLoss(nn.Module):
    def forward(self, step: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        _, feats_t = step.target()
        loss, bandwidths = mk_mmd2(step.feats_s, feats_t)
        return loss, {"sigma": bandwidths[len(bandwidths) // 2]}


@register_term(
    "dan",
    family="feature-based",
    description="DAN: multi-kernel MMD between source and target features (Gaussian kernel mixture).",
    params=NoParams,
    weight=10.0,
)
def dan(params: NoParams, ctx: TermContext) -> DANLoss:
    return DANLoss()
