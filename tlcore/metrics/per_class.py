"""Class-conditional gaps: MMD² per class, and label shift between the class priors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from tlcore.errors import TLError
from tlcore.metrics.kernels import BandwidthSpec, resolve_bandwidths
from tlcore.metrics.mmd import mmd2_unbiased

TargetLabels = Literal["true", "predicted"]
"""Where target labels come from: the domain's own labels, or a model's pseudo-labels."""


@dataclass(frozen=True)
class ClassGap:
    """MMD² between source and target samples of one class; ``None`` with a ``reason`` if too few."""

    index: int
    name: str
    n_source: int
    n_target: int
    mmd2: float | None
    reason: str | None = None


@dataclass(frozen=True)
class LabelShift:
    """Class priors of both domains and their total variation ``0.5 sum_c |p_s(c) - p_t(c)|``."""

    source_prior: tuple[float, ...]
    target_prior: tuple[float, ...]
    tv_distance: float
    target_labels: TargetLabels


def class_conditional_mmd(
    Xs: torch.Tensor,
    ys: torch.Tensor,
    Xt: torch.Tensor,
    yt: torch.Tensor,
    classes: Sequence[str],
    *,
    bandwidth: BandwidthSpec = None,
    min_samples: int = 10,
    seed: int = 0,
) -> list[ClassGap]:
    """Unbiased MMD² between ``Xs[ys == c]`` and ``Xt[yt == c]`` for every class ``c``.

    ``yt`` may be true target labels or pseudo-labels (predictions); the caller records which.
    One bandwidth serves every class so the values are comparable: the given one, or the median
    heuristic on all pooled ``Xs, Xt`` (see :func:`tlcore.metrics.kernels.resolve_bandwidths`).
    A class with fewer than ``min_samples`` (at least 2) on either side gets ``mmd2=None``.
    """
    if len(ys) != len(Xs) or len(yt) != len(Xt):
        raise TLError(f"labels do not match samples: {len(ys)} for {len(Xs)}, {len(yt)} for {len(Xt)}")
    bw = resolve_bandwidths(Xs, Xt, bandwidth, seed)
    floor = max(min_samples, 2)
    gaps = []
    for index, name in enumerate(classes):
        src, tgt = Xs[ys == index], Xt[yt == index]
        if min(len(src), len(tgt)) < floor:
            side, count = ("source", len(src)) if len(src) < floor else ("target", len(tgt))
            reason = f"only {count} {side} samples (fewer than {floor})"
            gaps.append(ClassGap(index, name, len(src), len(tgt), None, reason))
        else:
            gaps.append(ClassGap(index, name, len(src), len(tgt), mmd2_unbiased(src, tgt, bw)))
    return gaps


def total_variation(p: torch.Tensor, q: torch.Tensor) -> float:
    """Total variation ``0.5 sum_c |p(c) - q(c)|`` between two class distributions (0 to 1)."""
    return float(0.5 * (p.double() - q.double()).abs().sum())


def label_shift(
    ys: torch.Tensor, yt: torch.Tensor, n_classes: int, target_labels: TargetLabels = "true"
) -> LabelShift:
    """Source prior vs target prior (from true labels or predictions, as ``target_labels`` says)."""
    if len(ys) == 0 or len(yt) == 0:
        raise TLError("label shift needs at least one labelled sample per domain")
    p_s = torch.bincount(ys.cpu(), minlength=n_classes).double() / len(ys)
    p_t = torch.bincount(yt.cpu(), minlength=n_classes).double() / len(yt)
    return LabelShift(
        source_prior=tuple(p_s.tolist()),
        target_prior=tuple(p_t.tolist()),
        tv_distance=total_variation(p_s, p_t),
        target_labels=target_labels,
    )
