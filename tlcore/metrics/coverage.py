"""Where the target has no source neighbours: the share of target samples that are *new*.

In one feature space (raw PCA features as the diagnosis uses, or a model's penultimate layer),
let ``d_s(i)`` be the Euclidean distance of reference sample ``i`` to its nearest *other* reference
sample (leave-one-out) and ``d_t(j)`` that of target sample ``j`` to its nearest reference sample.
The threshold ``τ`` is the ``quantile`` (default 0.99) of the ``d_s``; a target sample is *novel*
when ``d_t(j) > τ``. A target drawn from the source's own distribution has about ``1 - quantile``
of its samples novel by construction (leave-one-out makes a source sample's distance to the rest
distributed like a fresh sample's). ``p_value`` tests "no more novel samples than that": with
``k`` of the ``n`` reference distances at or below ``τ``, the number of target samples beyond an
empirical quantile of exchangeable samples follows the beta-binomial law
``BetaBin(n_target, n - k + 1, k)`` (as in conformal prediction; it counts the noise in ``τ``, which a
plain binomial would not), and ``p_value = P(BetaBin >= n_novel)``; ``expected_share`` is its mean
``(n - k + 1) / (n + 1)``.

The reference is the source, or a seeded subsample of ``max_reference`` of its samples (target and
source distances then use the same reference). Exact nearest neighbours, in blocks of one matmul
each (:func:`tlcore.metrics.kernels.sq_distances`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from tlcore.data.rng import generator
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.metrics.inputs import check_pair
from tlcore.metrics.kernels import sq_distances
from tlcore.metrics.mcnemar import SIGNIFICANCE
from tlcore.numbers import p_is

NoveltyLevel = Literal["covered", "new"]
# the novel share: its beta-binomial p-value below SIGNIFICANCE (every test's level: mcnemar), and ...
MIN_EXCESS = 0.01  # ... at least this share above the chance share: part of the target is new
BLOCK = 2048  # target rows per distance block


@dataclass(frozen=True)
class NoveltySettings:
    """The neighbour-distance ``quantile`` of the source that makes a target sample novel, the
    ``max_reference`` source samples it is measured on (a ``seed``-ed subsample beyond), and how
    many of the most novel target samples to name (``n_examples``)."""

    quantile: float = 0.99
    max_reference: int = 10000
    n_examples: int = 16
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.quantile < 1.0:
            raise TLError(f"the novelty quantile must lie strictly between 0 and 1, got {self.quantile}")
        if self.max_reference < 2 or self.n_examples < 0:
            raise TLError("max_reference must be >= 2 and n_examples >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Novelty:
    """The novel share of the target (see the module docstring).

    ``most_novel``: target indices, farthest from the source first (at most ``n_examples``, novel
    or not), with their ``most_novel_distance``; ``target_distance[j]`` is ``d_t(j)`` for every target
    sample (left out of :meth:`to_dict` unless asked).
    """

    share: float
    n_novel: int
    n_target: int
    expected_share: float
    p_value: float
    threshold: float
    n_reference: int
    most_novel: tuple[int, ...]
    most_novel_distance: tuple[float, ...]
    settings: NoveltySettings
    target_distance: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))

    @property
    def level(self) -> NoveltyLevel:
        """``new`` when the novel share is significantly (p < 0.05) and at least 1 point above the
        share expected by chance, else ``covered``."""
        excess = self.share - self.expected_share
        return "new" if self.p_value < SIGNIFICANCE and excess >= MIN_EXCESS else "covered"

    def covered_index(self) -> np.ndarray:
        """The target rows (sorted) left once the novel samples beyond chance are dropped: the
        ``n_novel - round(expected_share * n_target)`` farthest from the source (none when not above
        that). A target drawn like the source keeps (about) every sample: its farthest
        ``expected_share`` are novel by construction, not new."""
        excess = max(0, self.n_novel - round(self.expected_share * self.n_target))
        order = np.argsort(-self.target_distance, kind="stable")
        return np.sort(order[excess:])

    def summary(self) -> str:
        """The counts behind :attr:`share`, as ``diagnose`` prints them beside it and the report lists
        them: ``249 of 249 samples beyond the source's 99th-percentile neighbour distance (1.6% by
        chance, p = 2.09e-13)``; a p that underflows reads ``p < 1e-16``, never ``p = 0``."""
        return (
            f"{self.n_novel} of {self.n_target} samples beyond the source's "
            f"{100 * self.settings.quantile:g}th-percentile neighbour distance "
            f"({100 * self.expected_share:.1f}% by chance, {p_is(self.p_value)})"
        )

    def describe(self, reading: str = "") -> str:
        """One plain sentence; ``reading`` replaces the advice to collect labels when the target is new
        (what a verdict that reads the share otherwise makes of it)."""
        q = f"{100 * self.settings.quantile:g}%"
        chance = f"{100 * self.expected_share:.1f}%"
        if self.level == "covered":
            return (
                f"The source covers the target: {100 * self.share:.1f}% of the target samples lie farther "
                f"from every source sample than {q} of source samples lie from their nearest neighbour "
                f"(about {chance} is expected by chance)."
            )
        return (
            f"{100 * self.share:.1f}% of your target ({self.n_novel} of {self.n_target} samples) lies "
            f"farther from every source sample than {q} of source samples lie from their nearest "
            f"neighbour (about {chance} by chance): "
            + (
                reading
                or "this part of your target is new, no adaptation will map it safely; collect labels there"
            )
            + "."
        )

    def to_dict(self, include_distances: bool = False) -> dict[str, Any]:
        """JSON-safe fields plus ``level`` and ``description``; per-sample distances only if asked."""
        out = {k: v for k, v in asdict(self).items() if k not in ("settings", "target_distance")}
        out |= {
            "most_novel": list(self.most_novel),
            "most_novel_distance": list(self.most_novel_distance),
            "settings": self.settings.to_dict(),
            "level": self.level,
            "description": self.describe(),
        }
        if include_distances:
            out["target_distance"] = [round(float(d), 6) for d in self.target_distance]
        return out


def _nearest(queries: torch.Tensor, reference: torch.Tensor, leave_one_out: bool = False) -> torch.Tensor:
    """Euclidean distance of each query row to its nearest reference row, ``BLOCK`` rows at a time;
    with ``leave_one_out`` the queries are the reference and row ``i`` skips itself."""
    parts = []
    for start in range(0, len(queries), BLOCK):
        D = sq_distances(queries[start : start + BLOCK], reference)
        if leave_one_out:
            rows = torch.arange(len(D), device=D.device)
            D[rows, rows + start] = torch.inf
        parts.append(D.amin(1))
    return torch.cat(parts).sqrt_()


def novelty(
    Fs: torch.Tensor,
    Ft: torch.Tensor,
    settings: NoveltySettings = NoveltySettings(),
    device: str | torch.device | None = None,
) -> Novelty:
    """The novel share of the target features ``Ft`` (``m x D``) against source features ``Fs``
    (``n x D``); see the module docstring. Distances run on ``device`` (default: CUDA when present)."""
    check_pair(Fs, Ft, "novelty", (2, 1))
    on = pick_device(device)
    reference = Fs.float()
    if len(reference) > settings.max_reference:
        keep = torch.randperm(len(reference), generator=generator(settings.seed, "novelty_reference"))
        reference = reference[keep[: settings.max_reference].sort().values]
    reference, target = reference.to(on), Ft.float().to(on)
    loo = _nearest(reference, reference, leave_one_out=True)
    loo = loo.double().cpu()
    threshold = float(torch.quantile(loo, settings.quantile))
    distance = _nearest(target, reference).cpu()
    n_novel, m = int((distance > threshold).sum()), len(target)
    alpha, beta = len(loo) - int((loo <= threshold).sum()) + 1, int((loo <= threshold).sum())
    order = torch.argsort(distance, descending=True, stable=True)[: settings.n_examples]
    from scipy.stats import betabinom  # noqa: PLC0415 - scipy.stats and scikit-learn: 0.7 s of the app's start

    return Novelty(
        share=n_novel / m,
        n_novel=n_novel,
        n_target=m,
        expected_share=alpha / (alpha + beta),
        p_value=float(betabinom.sf(n_novel - 1, m, alpha, beta)),
        threshold=threshold,
        n_reference=len(reference),
        most_novel=tuple(order.tolist()),
        most_novel_distance=tuple(distance[order].tolist()),
        settings=settings,
        target_distance=distance.numpy(),
    )
