"""Gaussian kernels on sample matrices: squared distances, the median heuristic, bandwidth mixtures.

Conventions of tlcore's gap metrics (the DAN method has its own kernel family, :mod:`tlcore.methods.dan`):

* a *bandwidth* is the length scale ``sigma`` of the Gaussian kernel
  ``k(x, y) = exp(-||x - y||^2 / (2 sigma^2))``;
* a *mixture* over bandwidths ``sigma_1..sigma_B`` is their equal-weight average
  ``k(x, y) = (1/B) sum_b exp(-||x - y||^2 / (2 sigma_b^2))`` (a characteristic kernel, as in
  DAN, Long et al. 2015, with uniform weights), so ``k(x, x) = 1`` for every kernel here.

Inputs are ``N x D`` tensors of one floating dtype on one device; outputs stay on that device.
Every function here is differentiable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

from tlcore.errors import TLError

BandwidthSpec = float | Sequence[float] | Literal["median", "mixture"] | None
"""``None``/``"median"``: median heuristic; ``"mixture"``: median x 2^{-2..2}; numbers: as given."""

MIXTURE_POWERS = (-2, -1, 0, 1, 2)


def sq_distances(X: torch.Tensor, Y: torch.Tensor | None = None) -> torch.Tensor:
    """``D[i, j] = ||x_i - y_j||^2`` (``N x M``) via ``||x||^2 + ||y||^2 - 2 x.y``: one matmul.

    Rounding can make the expansion slightly negative, so it is clamped at 0. With ``Y=None`` the
    distances of ``X`` to itself are returned with an exact zero diagonal.
    """
    same = Y is None
    Y = X if Y is None else Y
    x2 = (X * X).sum(1)
    y2 = x2 if same else (Y * Y).sum(1)
    D = torch.addmm(y2.unsqueeze(0), X, Y.T, alpha=-2.0).add_(x2.unsqueeze(1)).clamp_min_(0.0)
    if same:
        D.fill_diagonal_(0.0)
    return D


def _kernel_from_sq_distances_(D: torch.Tensor, bandwidths: tuple[float, ...]) -> torch.Tensor:
    """``mean_b exp(-D / (2 sigma_b^2))``; without autograd, overwrites ``D`` to save memory."""
    inplace = not D.requires_grad
    gammas = [-1.0 / (2.0 * sigma**2) for sigma in bandwidths]
    if len(gammas) == 1:
        return D.mul_(gammas[0]).exp_() if inplace else torch.exp(D * gammas[0])
    K = sum(torch.exp(D * gamma) for gamma in gammas)
    return K.div_(len(gammas)) if inplace else K / len(gammas)


def gaussian_kernel(
    X: torch.Tensor, Y: torch.Tensor | None = None, bandwidths: float | Sequence[float] = 1.0
) -> torch.Tensor:
    """Kernel matrix ``K[i, j] = (1/B) sum_b exp(-||x_i - y_j||^2 / (2 sigma_b^2))`` (``N x M``).

    ``bandwidths`` is one ``sigma`` or several (a mixture, see :func:`mixture_bandwidths`).
    ``Y=None`` gives ``K(X, X)`` with an exact unit diagonal.
    """
    return _kernel_from_sq_distances_(sq_distances(X, Y), as_bandwidths(bandwidths))


def gaussian_kernel_paired(
    A: torch.Tensor, B: torch.Tensor, bandwidths: float | Sequence[float] = 1.0
) -> torch.Tensor:
    """Row-wise kernel ``k(a_i, b_i)`` (length ``N``) for equally long ``A`` and ``B``.

    The building block of the linear-time MMD estimator (Gretton et al. 2012, Lemma 14).
    """
    D = ((A - B) ** 2).sum(1)
    return torch.stack([torch.exp(D * (-1.0 / (2.0 * s**2))) for s in as_bandwidths(bandwidths)]).mean(0)


def median_bandwidth(
    X: torch.Tensor, Y: torch.Tensor | None = None, max_samples: int = 1000, seed: int = 0
) -> float:
    """Median heuristic (Gretton et al. 2012): ``sigma^2 = median ||z_i - z_j||^2`` over pairs ``i < j``.

    ``z`` ranges over the pooled samples ``X`` and ``Y``; when there are more than ``max_samples`` a
    seeded uniform subsample of that size (without replacement) is used. ``sigma`` is returned, so
    the kernel is ``exp(-||x - y||^2 / (2 sigma^2))``. The median is the lower median. If at least
    half the pairs coincide, the median of the non-zero distances is used; with no non-zero distance
    at all, ``sigma = 1``.
    """
    Z = X if Y is None else torch.cat([X, Y])
    if len(Z) > max_samples:
        generator = torch.Generator().manual_seed(seed)
        Z = Z[torch.randperm(len(Z), generator=generator)[:max_samples].to(Z.device)]
    with torch.no_grad():
        D = sq_distances(Z)
        rows, cols = torch.triu_indices(len(Z), len(Z), offset=1, device=Z.device)
        pairs = D[rows, cols]
        median = pairs.median() if len(pairs) else pairs.new_zeros(())
        if median <= 0:
            positive = pairs[pairs > 0]
            median = positive.median() if len(positive) else pairs.new_ones(())
    return float(median.sqrt())


def mixture_bandwidths(base: float, powers: Sequence[int] = MIXTURE_POWERS) -> tuple[float, ...]:
    """Bandwidths ``base * 2^p`` for each ``p`` in ``powers`` (default ``base x {1/4, 1/2, 1, 2, 4}``)."""
    return tuple(float(base) * 2.0**p for p in powers)


def as_bandwidths(bandwidths: float | Sequence[float]) -> tuple[float, ...]:
    """One bandwidth or several as a tuple of positive floats."""
    values = (float(bandwidths),) if isinstance(bandwidths, int | float) else tuple(map(float, bandwidths))
    if not values or min(values) <= 0:
        raise TLError(f"kernel bandwidths must be positive, got {values}")
    return values


def resolve_bandwidths(
    X: torch.Tensor, Y: torch.Tensor, bandwidth: BandwidthSpec, seed: int = 0
) -> tuple[float, ...]:
    """Concrete bandwidths for a :data:`BandwidthSpec` (the median heuristic runs on pooled ``X, Y``)."""
    if bandwidth is None or bandwidth == "median":
        return (median_bandwidth(X, Y, seed=seed),)
    if bandwidth == "mixture":
        return mixture_bandwidths(median_bandwidth(X, Y, seed=seed))
    if isinstance(bandwidth, str):
        raise TLError(f"unknown bandwidth {bandwidth!r}: use a number, 'median' or 'mixture'")
    return as_bandwidths(bandwidth)
