"""What the verdict weighs beside the images: label shift, coverage and the classes of the pair.

* :class:`LabelShiftSummary`: the class priors estimated without target labels, or counted from
  them when the target is labelled (:meth:`LabelShiftSummary.from_labels`).
* :class:`NoveltySummary`: the share of target samples without a source neighbour, and whether that
  share is significantly above chance (:attr:`tlcore.metrics.coverage.Novelty.level`).
* :class:`BlankImages`: how many images of a side are blank (no ink, :mod:`tlcore.explain.image_stats`).
* :class:`ClassMismatch`: what :func:`tlcore.data.harmonise.harmonise` found in the class names
  (its ``meta["pair_report"]``): target classes the source lacks, whose samples were dropped, and
  source classes a labelled target lacks. A source class ``c`` with prior ``p_s(c)`` is absent from
  ``n`` target samples drawn like the source with probability ``p_c = (1 - p_s(c))^n`` (1 for a
  class the target has). The ``p_c`` of the source's ``K`` classes (those with samples) are
  adjusted by Benjamini-Hochberg (``q_(i) = min_{j >= i} p_(j) K / j``,
  :func:`~tlcore.metrics.feature_tests.fdr_adjusted`) and a class is named only when ``q_c <= fdr``
  (:attr:`~tlcore.explain.settings.ExplainSettings.fdr`, the rule of every other diagnosis
  comparison): thirty samples miss a class of ten by chance 4% of the time, so uncorrected, a
  third of 30-sample targets drawn like a 10-class source would name one. The false discovery
  rate, not a family-wise bound (Holm's ``p_c K``), fits naming a set of classes: it bounds the
  share of named classes that are absent by chance (under pure chance, the chance of naming any),
  and keeps the power to name several classes a small target truly lacks together (40 samples
  without five classes of ten: each ``p_c = 0.9^40 = 1.5%``, ``q = 3%``, named; Holm: 15%).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from tlcore.data.domain import Domain
from tlcore.data.harmonise import PairReport
from tlcore.data.ink import blank_words
from tlcore.metrics.coverage import Novelty
from tlcore.metrics.feature_tests import fdr_adjusted
from tlcore.metrics.per_class import label_shift
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate
from tlcore.numbers import pct, percent

NOVELTY_MIN = 0.05  # share of target samples without source neighbours from which they are a cause
TRUE_LABELS = "the target's labels"  # the method of priors counted, not estimated


@dataclass(frozen=True)
class LabelShiftSummary:
    """What the verdict needs from a label-shift estimate made without target labels: ``tv``, the
    estimated total variation ``0.5 sum_c |p_s(c) - p_t(c)|`` between source and target class
    priors, its ``level`` confidence band ``[low, high]`` when known, the estimator (``"bbse"``, ``"em"``) and
    its estimated target ``priors`` of ``classes`` (empty when not known); ``p_value``: how often a
    random split of the pooled labels differs as much (counted from the target's labels,
    :func:`tlcore.metrics.per_class.label_shift`), or targets of the same size drawn from the source
    read as large a shift (estimated, :mod:`tlcore.metrics.prior_shift`)."""

    tv: float
    low: float | None = None
    high: float | None = None
    method: str = ""
    classes: tuple[str, ...] = ()
    priors: tuple[float, ...] = ()
    p_value: float | None = None
    level: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, estimate: LabelShiftEstimate) -> LabelShiftSummary | None:
        """The headline estimate of :func:`tlcore.metrics.prior_shift.estimate_label_shift`, or None
        when it is not to be trusted (:attr:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate.trusted`:
        EM and BBSE disagree, or the target lies outside the source's support; a covariate shift)."""
        if not estimate.trusted:
            return None
        head = estimate.headline
        low, high = head.tv_band or (None, None)
        return cls(
            head.tv,
            low,
            high,
            head.estimator,
            estimate.classes,
            head.priors,
            estimate.p_value,
            estimate.settings.level,
        )

    @classmethod
    def from_labels(cls, source: Domain, target: Domain, seed: int = 0) -> LabelShiftSummary | None:
        """The class priors counted on a labelled target harmonised with ``source`` (its labels index
        the source's classes), ``method`` :data:`TRUE_LABELS`; None when a side has no labels."""
        if source.y is None or target.y is None or not len(source.y) or not len(target.y):
            return None
        shift = label_shift(source.y, target.y, source.n_classes, seed=seed)
        classes, priors = tuple(source.classes), shift.target_prior
        return cls(
            shift.tv_distance, method=TRUE_LABELS, classes=classes, priors=priors, p_value=shift.p_value
        )


@dataclass(frozen=True)
class NoveltySummary:
    """The novel share of the target (``share``), whether it is significantly above the share
    expected by chance (``new``, :attr:`~tlcore.metrics.coverage.Novelty.level`) and its p-value."""

    share: float
    new: bool
    p_value: float | None = None

    @classmethod
    def of(cls, novelty: Novelty) -> NoveltySummary:
        return cls(novelty.share, novelty.level == "new", novelty.p_value)

    def shown(self) -> str:
        """The share as a whole percent (``31%``), with a decimal where that would read as
        :data:`NOVELTY_MIN` while it is below it: ``4.8%``, never ``5%`` beside "fewer than the 5%"."""
        whole = pct(self.share)
        return percent(self.share, 1) if self.share < NOVELTY_MIN and whole == pct(NOVELTY_MIN) else whole

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BlankImages:
    """``n_blank`` of the ``n_total`` images of one ``side`` are blank (no ink; on a pair of colour
    ``photos`` no foreground: :func:`tlcore.data.ink.blank_words`)."""

    side: Literal["source", "target"]
    n_blank: int
    n_total: int
    photos: bool = False

    @property
    def lacks(self) -> str:
        """What the blank images lack: ``no ink`` (``no foreground`` on colour photos)."""
        return blank_words(self.photos)

    @property
    def words(self) -> str:
        """What they lack and what they are: ``no ink: empty scans or constant images``."""
        return blank_words(self.photos, why=True)

    @property
    def every(self) -> bool:
        return self.n_blank >= self.n_total

    @property
    def share(self) -> float:
        return self.n_blank / self.n_total if self.n_total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "photos"} | {"share": self.share}


@dataclass(frozen=True)
class ClassMismatch:
    """Classes one side of a pair has and the other lacks (module docstring).

    ``new``: target classes the source lacks and their samples (dropped from the pair), of
    ``n_target`` target samples before the drop. ``missing``: source classes a labelled target has
    no sample of (beyond chance at the false discovery rate, module docstring), with their share of
    the source.
    """

    new: dict[str, int]
    n_target: int
    missing: dict[str, float]

    @property
    def n_new(self) -> int:
        return sum(self.new.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, source: Domain, target: Domain, fdr: float) -> ClassMismatch | None:
        """The mismatch of a pair harmonised by :func:`tlcore.data.harmonise.harmonise` (read from the
        target's ``meta["pair_report"]``), or None when the classes agree or it was not harmonised;
        a missing class is named at the false discovery rate ``fdr`` (module docstring)."""
        report = target.meta.get("pair_report")
        if not isinstance(report, PairReport):
            return None
        missing = absent_beyond_chance(source, report.target.missing_classes, target.n_samples, fdr)
        new = dict(report.target.unknown_classes)
        if not new and not missing:
            return None
        return cls(new, target.n_samples + sum(new.values()), missing)


def absent_beyond_chance(source: Domain, absent: tuple[str, ...], n: int, fdr: float) -> dict[str, float]:
    """The ``absent`` source classes (no sample among ``n`` target samples) whose Benjamini-Hochberg
    adjusted chance of absence over the source's classes is at most ``fdr`` (module docstring), with
    their source prior."""
    counts = source.class_counts()
    total = sum(counts.values())
    if not total:
        return {}
    priors = {c: k / total for c, k in counts.items() if k}
    p = np.array([(1.0 - prior) ** n if c in absent else 1.0 for c, prior in priors.items()])
    q = dict(zip(priors, fdr_adjusted(p), strict=True))
    return {c: priors[c] for c in absent if c in q and q[c] <= fdr}
