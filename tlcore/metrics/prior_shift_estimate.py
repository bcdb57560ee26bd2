"""What :func:`tlcore.metrics.prior_shift.estimate_label_shift` returns: :class:`LabelShiftEstimate`,
the target's estimated class proportions beside the source's, each estimator's
(:class:`PriorEstimate`), and its readings: the headline total variation, its size, whether EM and
BBSE agree and whether the target lies within the source's support. Every number is defined in
:mod:`tlcore.metrics.prior_shift`'s docstring.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import torch

from tlcore.data.ink import describe_blank
from tlcore.metrics.coverage import SIGNIFICANCE, Novelty
from tlcore.metrics.per_class import LabelShift, total_variation
from tlcore.metrics.prior_shift_words import ShiftLevel, describe_estimate, size
from tlcore.metrics.priors import Calibration

if TYPE_CHECKING:
    from tlcore.metrics.prior_shift import LabelShiftSettings

Estimator = Literal["em", "bbse"]
HEADLINE: Estimator = "em"  # the estimator whose TV is the headline "label shift" number
DISAGREEMENT = 0.1  # TV between the EM and BBSE estimates from which the label-shift premise is doubted


@dataclass(frozen=True)
class PriorEstimate:
    """One estimator's target priors, their band, and the total variation from the source priors
    (``tv``, with its band) and, when target labels exist, from the true target priors.

    ``low``/``high``/``tv_band`` are None without bootstrap. ``detail``: BBSE's ``sigma_min`` (the
    smallest singular value of ``C``; Lipton et al.'s error bound grows like ``1 / sigma_min``) and
    ``rank``; EM's ``steps`` and ``converged``.
    """

    estimator: Estimator
    priors: tuple[float, ...]
    tv: float
    low: tuple[float, ...] | None = None
    high: tuple[float, ...] | None = None
    tv_band: tuple[float, float] | None = None
    tv_to_truth: float | None = None
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("priors", "low", "high", "tv_band"):
            out[key] = None if out[key] is None else list(out[key])
        return out


def beyond_support(support: Novelty | None, tv: float) -> bool:
    """A share of the target at least ``tv`` lies, beyond chance, outside the source's support
    (``support``, the novel share in a model's features): a model's outputs there can move the class
    proportions it reads by that much whatever the labels are (:mod:`tlcore.metrics.prior_shift`)."""
    if support is None or support.level != "new":
        return False
    return support.share - support.expected_share >= tv


@dataclass(frozen=True)
class LabelShiftEstimate:
    """The target's estimated class proportions beside the source's (and the true ones when the
    target is labelled); :attr:`tv` is the headline "label shift" number (EM's, see
    :mod:`tlcore.metrics.prior_shift`) and :attr:`level` its plain-words size; ``support`` the
    target's novel share in the model's features, when measured (see :attr:`outside_support`).
    ``n_blank_source_val`` and ``n_blank_target``: blank images (no ink, :mod:`tlcore.data.ink`; no
    foreground when ``blank_photos``, colour photos) left out of the estimate, beside the
    ``n_source_val`` and ``n_target`` samples it read (a model assigns a blank image to some class,
    which would inflate that class's share)."""

    classes: tuple[str, ...]
    source_prior: tuple[float, ...]
    em: PriorEstimate
    bbse: PriorEstimate
    true_prior: tuple[float, ...] | None
    calibration: Calibration | None
    n_source_val: int
    n_target: int
    settings: LabelShiftSettings
    support: Novelty | None = None
    n_blank_source_val: int = 0
    n_blank_target: int = 0
    blank_photos: bool = False
    p_value: float | None = None  # targets of this size drawn from the source (prior_shift)
    true_p_value: float | None = None  # the counted proportions' test (prior_shift)
    counted: LabelShift | None = None  # the diagnosis's count, quoted instead (tlcore.diagnosis.counted_in)
    model: str = ""  # which source-only model read it (tlcore.adapt.source_model.SourceOnlyModel.describe)
    model_run: str = ""  # a run whose source-only baseline read it, to look up ('' when none is known)

    @property
    def headline(self) -> PriorEstimate:
        return self.em if HEADLINE == "em" else self.bbse

    @property
    def tv(self) -> float:
        """Total variation between the estimated target priors and the source priors."""
        return self.headline.tv

    @property
    def disagreement(self) -> float:
        """Total variation between the EM and the BBSE estimate."""
        return total_variation(torch.tensor(self.em.priors), torch.tensor(self.bbse.priors))

    @property
    def consistent(self) -> bool:
        """Whether EM and BBSE agree (:attr:`disagreement` below :data:`DISAGREEMENT`). Both are
        consistent under label shift; when the classes themselves look different on the target
        (covariate shift), they part ways and neither is to be trusted."""
        return self.disagreement < DISAGREEMENT

    @property
    def outside_support(self) -> bool:
        """A shift is claimed (:attr:`level` not ``none``) while a share of the target at least the TV
        lies, beyond chance, outside the source's support in the model's features
        (:mod:`tlcore.metrics.prior_shift`)."""
        return self.level != "none" and beyond_support(self.support, self.tv)

    @property
    def trusted(self) -> bool:
        """Neither EM and BBSE disagree (:attr:`consistent`) nor is the target outside the source's
        support (:attr:`outside_support`)."""
        return self.consistent and not self.outside_support

    @property
    def within_chance(self) -> bool:
        """Targets of this size drawn from the source read as large a TV
        (:mod:`tlcore.metrics.prior_shift`)."""
        return self.p_value is not None and self.p_value >= SIGNIFICANCE

    @property
    def level(self) -> ShiftLevel:
        """``none`` when :attr:`within_chance`, else the size of :attr:`tv`
        (:func:`~tlcore.metrics.prior_shift_words.size`)."""
        return "none" if self.within_chance else size(self.tv)

    @property
    def true_tv(self) -> float | None:
        """Total variation between the true target priors (counted from its labels) and the source
        priors (the diagnosis's, every source label, when :attr:`counted`; else the validation split's);
        None when the target is unlabelled."""
        if self.true_prior is None:
            return None
        if self.counted is not None:
            return self.counted.tv_distance
        return total_variation(torch.tensor(self.true_prior), torch.tensor(self.source_prior))

    @property
    def true_within_chance(self) -> bool:
        """The counted proportions differ from the source's no more than random splits of the pooled
        labels often do (:attr:`true_p_value` at least :data:`~tlcore.metrics.coverage.SIGNIFICANCE`)."""
        return self.true_p_value is not None and self.true_p_value >= SIGNIFICANCE

    def counted_from(self) -> dict[str, Any]:
        """Which labels :attr:`true_tv` and :attr:`true_p_value` count: ``source`` (every label of the
        diagnosed source: :attr:`counted`) or ``source validation`` (the split the estimator reads),
        with how many labels of each side."""
        if self.counted is not None:
            return {"source": "source", "n_source": self.counted.n_source, "n_target": self.counted.n_target}
        return {"source": "source validation", "n_source": self.n_source_val, "n_target": self.n_target}

    def describe(self) -> str:
        """The estimate in plain words (:func:`~tlcore.metrics.prior_shift_words.describe_estimate`)."""
        return describe_estimate(self)

    def describe_blank(self) -> str:
        """``60 of 360 target images are blank (no ink) and left out of the estimate.`` (and of the
        source validation split's); '' when none was."""
        fate = "left out of the estimate"
        sides = (
            (self.n_blank_source_val, self.n_source_val, "source validation"),
            (self.n_blank_target, self.n_target, "target"),
        )
        said = [describe_blank(n, n + used, what, fate, self.blank_photos) for n, used, what in sides if n]
        return f"{'; '.join(said)}." if said else ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: every field, plus ``headline``, ``tv``, ``level``, ``disagreement``,
        ``consistent``, ``outside_support``, ``trusted``, ``true_tv``, ``true_within_chance``,
        ``true_counted_from`` (:meth:`counted_from`), ``model`` and ``description``."""
        return {
            "classes": list(self.classes),
            "source_prior": list(self.source_prior),
            "true_prior": None if self.true_prior is None else list(self.true_prior),
            "em": self.em.to_dict(),
            "bbse": self.bbse.to_dict(),
            "calibration": None if self.calibration is None else asdict(self.calibration),
            "n_source_val": self.n_source_val,
            "n_target": self.n_target,
            "n_blank_source_val": self.n_blank_source_val,
            "n_blank_target": self.n_blank_target,
            "settings": self.settings.to_dict(),
            "headline": HEADLINE,
            "tv": self.tv,
            "level": self.level,
            "disagreement": self.disagreement,
            "consistent": self.consistent,
            "support": None if self.support is None else self.support.to_dict(),
            "outside_support": self.outside_support,
            "trusted": self.trusted,
            "true_tv": self.true_tv,
            "true_p_value": self.true_p_value,
            "true_within_chance": self.true_within_chance,
            "true_counted_from": None if self.true_prior is None else self.counted_from(),
            "p_value": self.p_value,
            "model": self.model,
            "model_run": self.model_run,
            "description": self.describe(),
        }
