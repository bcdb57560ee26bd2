"""Instance-based transfer: kernel mean matching (Huang et al. 2007, NIPS), solved by projected gradient.

KMM picks source weights ``beta`` that make the weighted source kernel mean embedding match the
target's, i.e. it minimises the (squared, empirical) MMD between ``beta``-weighted source and target:

    min_beta  1/2 beta' K beta - kappa' beta
    s.t.      0 <= beta_i <= B,   | sum_i beta_i - n_s | <= n_s eps

with ``K_ij = k(x_i, x_j)`` over source samples, ``kappa_i = (n_s / n_t) sum_j k(x_i, x'_j)`` over
target samples, and ``eps = (sqrt(n_s) - 1) / sqrt(n_s)`` by default (the paper's ``B / sqrt(n_s)``
order). ``k`` is the Gaussian kernel of :mod:`tlcore.metrics.kernels`, bandwidth by the median
heuristic on the pooled features.

Solver: FISTA (Beck & Teboulle 2009), accelerated projected gradient with step ``1 / lambda_max(K)``;
the projection onto the box-and-slab set is exact: ``clip(v - tau, 0, B)`` with the shift ``tau``
found by bisection so the sum lands in the slab (0 when it already does).
Scalability: the source is split into seeded chunks of at most ``max_samples`` (the target is
subsampled to as many) and each chunk solves its own KMM ("ensemble KMM", Miao et al. 2015). The
weights are finally scaled to mean 1 (capped at ``B``), within each source class by default
(:meth:`~tlcore.methods.context.WeightsContext.normalise`).
"""

from __future__ import annotations

import math

import torch

from tlcore.data.rng import generator
from tlcore.method_params import KMMParams
from tlcore.methods.context import WeightsContext
from tlcore.methods.registry import builds
from tlcore.metrics.kernels import gaussian_kernel, median_bandwidth


def project_box_slab(v: torch.Tensor, upper: float, lo: float, hi: float) -> torch.Tensor:
    """Euclidean projection of ``v`` onto ``{b : 0 <= b <= upper, lo <= sum(b) <= hi}``."""
    b = v.clamp(0.0, upper)
    total = float(b.sum())
    if lo <= total <= hi:
        return b
    goal = lo if total < lo else hi
    left, right = float(v.min()) - upper, float(v.max())  # sum(clip(v - tau)) is n*upper .. 0 here
    for _ in range(100):
        tau = 0.5 * (left + right)
        if float((v - tau).clamp(0.0, upper).sum()) > goal:
            left = tau
        else:
            right = tau
    return (v - 0.5 * (left + right)).clamp(0.0, upper)


def kmm_solve(K: torch.Tensor, kappa: torch.Tensor, B: float, eps: float, iterations: int) -> torch.Tensor:
    """FISTA for ``min 1/2 b'Kb - kappa'b`` over ``0 <= b <= B, |sum b - n| <= n eps`` (float64)."""
    K, kappa = K.double(), kappa.double()
    n = len(kappa)
    lo, hi = n * (1 - eps), n * (1 + eps)
    step = 1.0 / float(torch.linalg.eigvalsh(K)[-1].clamp_min(1e-12))
    beta = project_box_slab(torch.ones(n, dtype=torch.float64), B, lo, hi)
    z, t = beta, 1.0
    for _ in range(iterations):
        nxt = project_box_slab(z - step * (K @ z - kappa), B, lo, hi)
        t_next = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
        z = nxt + ((t - 1) / t_next) * (nxt - beta)
        beta, t = nxt, t_next
    return beta


def kmm_weights(Xs: torch.Tensor, Xt: torch.Tensor, params: KMMParams, seed: int) -> torch.Tensor:
    """KMM weights (float64, each chunk's ``beta``) for the rows of ``Xs`` (``n_s x d``) against ``Xt``."""
    Xs, Xt = Xs.double(), Xt.double()
    gen = generator(seed, "kmm")
    Xt = Xt[torch.randperm(len(Xt), generator=gen)[: params.max_samples]]
    sigma = median_bandwidth(Xs, Xt, seed=seed)
    order = torch.randperm(len(Xs), generator=gen)
    n_chunks = math.ceil(len(Xs) / params.max_samples)
    weights = torch.empty(len(Xs), dtype=torch.float64)
    for chunk in torch.tensor_split(order, n_chunks):
        n = len(chunk)
        eps = params.eps if params.eps >= 0 else (math.sqrt(n) - 1) / math.sqrt(n)
        K = gaussian_kernel(Xs[chunk], None, sigma)
        kappa = gaussian_kernel(Xs[chunk], Xt, sigma).sum(1) * (n / len(Xt))
        weights[chunk] = kmm_solve(K, kappa, params.B, eps, params.iterations)
    return weights


@builds("kmm")
def kmm(params: KMMParams, ctx: WeightsContext) -> torch.Tensor:
    Fs, Ft = ctx.features(params.features)
    return ctx.normalise(kmm_weights(Fs, Ft, params, ctx.seed), params.B, params.per_class)
