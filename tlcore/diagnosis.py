"""Gap diagnosis: how far apart two domains are, in one feature space, as one report.

:func:`diagnose` measures the gap of a harmonised source/target pair with
:func:`tlcore.metrics.gap.measure_gap` (the same function and :class:`~tlcore.diagnosis_settings.GapSettings`
every run's gap before / after uses), adds the per-class gaps, label shift, the target's novel share
(:func:`tlcore.metrics.coverage.novelty`) and a UMAP projection, times each step, and returns a
:class:`GapReport`; :func:`describe_gap` puts it in plain words (the app's gap cards, the CLI's
summary; :mod:`tlcore.gap_level` sizes it). The report carries the notes of
:func:`tlcore.data.harmonise.harmonise` on the pair (samples of classes the source lacks dropped,
resizing, column matching): every number is of the samples that remain.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from tlcore.data.domain import Domain
from tlcore.data.harmonise import PairReport, misfit
from tlcore.device import pick_device
from tlcore.diagnosis_settings import PCA_DIM, UMAP_POINTS, GapSettings, check_classifier_fits
from tlcore.errors import TLError
from tlcore.features import UMAPResult, pair_features, raw_features, raw_width, umap_projection
from tlcore.gap_level import coral_note, detected_by, gap_level, low_power_note
from tlcore.metrics.coverage import Novelty, NoveltySettings, novelty
from tlcore.metrics.gap import Gap, measure_gap
from tlcore.metrics.per_class import ClassGapSettings, class_conditional_mmd, label_shift
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate, beyond_support
from tlcore.numbers import first_named, p_is

Progress = Callable[[str, float], None]  # (step description, overall fraction done in [0, 1])


# Share of the total time each step usually takes (drives the progress fraction only).
_STEPS = {
    "features": 0.1,
    "mmd": 0.25,
    "coral": 0.02,
    "a_distance": 0.13,
    "per_class": 0.1,
    "novelty": 0.05,
    "umap": 0.35,
}
_LABELS = {
    "features": "features",
    "mmd": "MMD² permutation test ({n} permutations)",
    "coral": "CORAL and mean distances",
    "a_distance": "proxy A-distance",
    "per_class": "per-class gaps",
    "novelty": "target samples without source neighbours",
    "umap": "UMAP projection",
}


@dataclass(frozen=True)
class GapReport:
    """The gap of one source/target pair in one feature space, and where it lies.

    ``gap`` is :func:`tlcore.metrics.gap.measure_gap` of the features under ``settings`` (whose seed
    also drives the PCA and the UMAP). ``per_class`` holds one dict per class (see
    :class:`tlcore.metrics.ClassGap`, same bandwidth as ``gap``, tested under ``class_settings``)
    computed with ``per_class_labels`` target labels, or is empty with the reason in
    ``per_class_note``. ``target_foreignness[i]`` is the held-out domain classifier's p(target | x)
    for target sample ``i``, ``target_log_odds[i]`` its log-odds ``ln(p / (1 - p))`` (what tells apart
    the most foreign samples, whose ``p`` round to 1: :func:`tlcore.views.explore.foreign_odds`);
    ``novelty`` the share of the target without source neighbours in the same
    features (:class:`~tlcore.metrics.coverage.Novelty`; None in a report read back by
    :meth:`from_dict`); ``seconds`` times each step and ``total``; ``pair_notes`` what harmonising the
    pair changed (:meth:`tlcore.data.harmonise.PairReport.lines`).
    """

    source: str
    target: str
    feature_space: str
    feature_dim: int
    settings: GapSettings
    gap: Gap
    per_class: list[dict[str, Any]]
    per_class_labels: Literal["true", "predicted"] | None
    per_class_note: str
    label_shift: dict[str, Any] | None
    seconds: dict[str, float]
    target_foreignness: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))
    target_log_odds: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))
    umap: UMAPResult | None = None
    novelty: Novelty | None = None
    pair_notes: tuple[str, ...] = ()
    class_settings: ClassGapSettings = ClassGapSettings()

    @property
    def per_class_by(self) -> str:
        """Whose labels split the target in the per-class gaps, as their heading and the verdict say it:
        ``predicted target labels`` (a model's predictions, no labels of the target) or ``true ...``."""
        return f"{self.per_class_labels} target labels"

    def to_dict(self, include_umap: bool = True, include_scores: bool = False) -> dict[str, Any]:
        """JSON-safe dict (plain numbers, lists, strings) with ``gap_level`` and ``coral_note``
        (:func:`coral_note`, empty when CORAL can be read); UMAP coordinates and scores optional."""
        skip = (
            "settings",
            "class_settings",
            "gap",
            "umap",
            "target_foreignness",
            "target_log_odds",
            "novelty",
        )
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        out |= {
            "settings": self.settings.to_dict(),
            "class_settings": self.class_settings.to_dict(),
            "gap": self.gap.to_dict(),
            "gap_level": gap_level(self.gap),
            "coral_note": coral_note(self.gap.n_source, self.gap.n_target, self.feature_dim),
            "novelty": None if self.novelty is None else self.novelty.to_dict(),
            "pair_notes": list(self.pair_notes),
        }
        if include_scores:
            out["target_foreignness"] = [round(float(s), 6) for s in self.target_foreignness]
        if include_umap and self.umap is not None:
            out["umap"] = {
                "source": np.round(self.umap.coords_source, 4).tolist(),
                "target": np.round(self.umap.coords_target, 4).tolist(),
                "index_source": self.umap.index_source.tolist(),
                "index_target": self.umap.index_target.tolist(),
            }
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GapReport:
        """A report from :meth:`to_dict` output, without its UMAP, scores and novelty (``umap`` and
        ``novelty`` None, empty ``target_foreignness``); ``gap_level`` and ``coral_note`` are
        recomputed, other unknown keys are refused; ``pair_notes`` and ``class_settings`` may be
        missing (reports written before them)."""
        derived = {"gap_level", "coral_note", "umap", "target_foreignness", "target_log_odds", "novelty"}
        known = {f.name for f in fields(cls)} - derived
        unknown = sorted(set(data) - known - derived)
        for key, default in (("settings", GapSettings()), ("class_settings", ClassGapSettings())):
            unknown += sorted(f"{key}.{k}" for k in set(data.get(key, {})) - set(default.to_dict()))
        if unknown:
            raise TLError(f"unknown gap report keys: {', '.join(unknown)}")
        missing = sorted(known - set(data) - {"pair_notes", "class_settings"})
        if missing:
            raise TLError(f"a gap report needs {', '.join(missing)}")
        values = {k: v for k, v in data.items() if k in known}
        values["settings"] = GapSettings(**values["settings"])
        values["class_settings"] = ClassGapSettings(**values.get("class_settings", {}))
        values["gap"] = Gap.from_dict(values["gap"])
        values["pair_notes"] = tuple(values.get("pair_notes", ()))
        return cls(**values)


def describe_gap(report: GapReport, per_class: bool = True) -> str:
    """One or two sentences reading the report for a person; the largest per-class gap among those
    beyond chance (``significant``: :func:`~tlcore.metrics.per_class.class_conditional_mmd`), or that
    none is, by a model's predicted target labels saying so (:attr:`GapReport.per_class_by`), unless
    ``per_class`` is False (the per-class gaps are void: :meth:`~tlcore.explain.result.Explanation.unread`);
    a note when a side is too small to tell
    (:func:`low_power_note`) or to estimate the covariances CORAL compares (:func:`coral_note`)."""
    gap = report.gap
    level, found = gap_level(gap), detected_by(gap)
    right = f"{100 * (1 - gap.domain_error):.0f}% of held-out samples"
    chance = f"{p_is(gap.domain_p_value)} against chance"
    pad = f"proxy A-distance {gap.a_distance:.2f} of 2"
    if level == "none":
        head = (
            f"No detectable gap: neither the MMD test (p = {gap.p_value:.3g}) nor a linear domain "
            f"classifier (right on {right}, {chance}) tells the domains apart."
        )
    else:
        mmd = (
            f"the domains differ (MMD test p = {gap.p_value:.3g})"
            if "mmd" in found
            else f"the MMD test does not tell the domains apart (p = {gap.p_value:.3g})"
        )
        classifier = (
            f"a linear domain classifier tells them apart on {right} ({chance}; {pad})"
            if "classifier" in found
            else f"a linear domain classifier does no better than chance (right on {right}, {chance}; {pad})"
        )
        joint = ", but " if found == ("classifier",) else (" and " if len(found) == 2 else "; ")
        head = f"{level.capitalize()} gap: {mmd}{joint}{classifier}."
    measured = [g for g in report.per_class if g["mmd2"] is not None]
    if measured and level != "none" and per_class:
        called = [g for g in measured if g.get("significant")]
        fdr = f"false discovery rate {100 * report.class_settings.fdr:g}%"
        by = report.per_class_by if report.per_class_labels == "predicted" else ""  # as their heading says
        total = len(report.per_class)  # a class too small on a side is not measured: of how many
        classes = f"measured classes ({total} in all)" if len(measured) < total else "classes"
        if called:
            worst = max(called, key=lambda g: g["mmd2"])
            head += (
                f" Largest class gap beyond chance{f' ({by})' if by else ''}: {worst['name']} (MMD² "
                f"{worst['mmd2']:.3g}, q = {worst['q_value']:.3g}); {len(called)} of {len(measured)} "
                f"{classes} differ ({fdr})."
            )
        else:
            tested = f"{f'{by}; ' if by else ''}{len(measured)} {classes} tested, {fdr}"
            head += f" No class differs beyond chance on its own ({tested})."
    notes = (
        low_power_note(gap.n_source, gap.n_target),
        coral_note(gap.n_source, gap.n_target, report.feature_dim),
    )
    return " ".join((head, *filter(None, notes)))


def predictions_doubt(report: GapReport, estimate: LabelShiftEstimate | None = None) -> str:
    """Why the target labels a model predicted (``per_class_labels`` ``predicted``: the label shift
    and per-class gaps by them) are not to be trusted as the target's, '' when nothing says so: a
    share of the target at least their total variation from the source's priors lies outside the
    source's support in the model's features (:func:`~tlcore.metrics.prior_shift_estimate.beyond_support`,
    the rule of the label-shift estimate), or the pair's source-only estimate of the target's class
    proportions (``estimate``) is itself not to be trusted (QA: a run predicted the target all benign,
    the estimate read it all malignant)."""
    shift = report.label_shift
    if report.per_class_labels != "predicted" or shift is None:
        return ""
    novel = report.novelty
    if novel is not None and beyond_support(novel, shift["tv_distance"]):
        return (
            f"{100 * novel.share:.1f}% of the target lies outside the source's support in the features of "
            f"the model that predicted them ({100 * novel.expected_share:.1f}% by chance), where its "
            "predictions are guesses"
        )
    if estimate is not None and not estimate.trusted:  # its model reads the target as unlike the source
        return "the source-only model's estimate of the target's class proportions is not to be trusted"
    return ""


def projection(
    source: Domain,
    target: Domain,
    features: str | nn.Module = "raw",
    *,
    seed: int = 0,
    pca_dim: int | None = PCA_DIM,
    max_umap_per_domain: int | None = UMAP_POINTS,
    device: str | None = None,
) -> UMAPResult:
    """:func:`diagnose`'s UMAP alone, the same coordinates for the same ``seed`` (its
    ``settings.seed``) and options: a page shows the gap first and the map when it is done."""
    Fs, Ft, _, _ = pair_features(source, target, features, pca_dim=pca_dim, seed=seed, device=device)
    return umap_projection(Fs, Ft, max_per_domain=max_umap_per_domain, seed=seed)


def _target_labels(
    source: Domain, target: Domain, logits: torch.Tensor | None, model_classes: tuple[str, ...]
) -> tuple[torch.Tensor | None, Literal["true", "predicted"] | None, str]:
    """Target labels for the per-class gaps: true ones, else a model's predictions (when its outputs,
    ``model_classes`` if it names them, are the source's classes), else why not."""
    if source.y is None:
        return None, None, "the source domain has no labels"
    if target.y is not None:
        return target.y, "true", ""
    if logits is None:
        return None, None, "the target has no labels and raw features give no pseudo-labels"
    if logits.shape[1] != source.n_classes:
        return None, None, f"the model predicts {logits.shape[1]} classes, the source has {source.n_classes}"
    problem = misfit(source, source.shape, model_classes, "the model")
    if problem:
        return None, None, f"the model's predictions are no labels of the source: {problem}"
    return logits.argmax(1), "predicted", ""


def _check_raw_fits(source: Domain, target: Domain, features: str | nn.Module, pca_dim: int | None) -> None:
    """Before any work, refuse raw ``features`` too wide for the domain classifier
    (:func:`~tlcore.diagnosis_settings.check_classifier_fits`): their width is known from the shape."""
    if features == "raw":
        n_s, n_t = len(source.X), len(target.X)
        check_classifier_fits(n_s, n_t, raw_width(math.prod(source.shape), n_s + n_t, pca_dim))


def diagnose(
    source: Domain,
    target: Domain,
    features: str | nn.Module = "raw",
    *,
    settings: GapSettings = GapSettings(),
    pca_dim: int | None = PCA_DIM,
    umap: bool = True,
    max_umap_per_domain: int | None = UMAP_POINTS,
    progress: Progress | None = None,
    device: str | None = None,
    novelty_settings: NoveltySettings | None = None,
    class_settings: ClassGapSettings = ClassGapSettings(),
) -> GapReport:
    """Measure the gap between a harmonised ``source`` and ``target`` (see :mod:`tlcore.data`).

    ``features``: ``"raw"`` (flattened inputs, PCA to ``pca_dim`` fitted on both domains, see
    :func:`tlcore.features.raw_features`) or a model returning ``(logits, features)`` (its
    penultimate layer; its predictions serve as target pseudo-labels when the target has none).
    The novel share of feature vectors in raw features is measured with the columns standardised by
    the source alone (``raw_features(..., scale="source")``): a target far beyond the source's range
    is novel there, while the pooled standardisation of the gap would shrink it to the source's.
    The gap is :func:`tlcore.metrics.gap.measure_gap` under ``settings``; per-class MMD² use every
    sample, their tests ``class_settings`` (at most ``settings.max_test_samples`` per side); UMAP
    runs on at most ``max_umap_per_domain`` samples per domain; the novel share uses
    ``novelty_settings`` (default :class:`~tlcore.metrics.coverage.NoveltySettings` with
    ``settings.seed``). Everything is seeded by ``settings.seed``. ``progress(step, fraction)`` is
    called as steps start and at the end.
    """
    if source.shape != target.shape:
        raise TLError(
            f"{source.name} and {target.name} have different sample shapes "
            f"{source.shape} and {target.shape}: harmonise the pair first"
        )
    _check_raw_fits(source, target, features, pca_dim)  # a model's features: once it embeds the pair
    seed = settings.seed
    steps = {k: v for k, v in _STEPS.items() if umap or k != "umap"}
    scale, seconds, done = sum(steps.values()), {}, 0.0
    start = time.perf_counter()

    def begin(name: str) -> None:
        """Report the step ``name`` as started (its fraction: the weight of the steps before it)."""
        nonlocal done
        if progress is not None:
            progress(_LABELS[name].format(n=settings.n_permutations), done / scale)
        done += steps[name]

    @contextmanager
    def step(name: str) -> Iterator[None]:
        begin(name)
        began = time.perf_counter()
        yield
        seconds[name] = round(time.perf_counter() - began, 4)

    with step("features"):
        Fs, Ft, logits, space = pair_features(
            source, target, features, pca_dim=pca_dim, seed=seed, device=device
        )

    check_classifier_fits(len(Fs), len(Ft), Fs.shape[1])
    measured = measure_gap(Fs, Ft, settings, device=device, progress=begin)
    seconds |= measured.seconds

    with step("per_class"):
        named = tuple(getattr(features, "classes", ()) or ())
        yt, labels_kind, note = _target_labels(source, target, logits, named)
        per_class, shift = [], None
        if yt is not None and source.y is not None:
            on = pick_device(device)
            gaps = class_conditional_mmd(
                Fs.to(on),
                source.y.to(on),
                Ft.to(on),
                yt.to(on),
                source.classes,
                bandwidth=measured.gap.bandwidth,
                settings=class_settings,
                max_per_side=settings.max_test_samples,
                seed=seed,
                target_labels=labels_kind,
            )
            per_class = [asdict(g) for g in gaps]
            shift = asdict(label_shift(source.y, yt, source.n_classes, target_labels=labels_kind, seed=seed))
            if all(g.mmd2 is None for g in gaps):
                reasons = [f"{g.name}: {g.reason}" for g in gaps if g.reason]
                note = f"no class has enough samples on both sides ({first_named(reasons, 3, sep='; ')})"

    with step("novelty"):
        Ns, Nt = Fs, Ft
        if space != "model" and source.X.ndim == 2:  # feature vectors: in the source's units
            Ns, Nt = raw_features(source.X, target.X, pca_dim=pca_dim, seed=seed, scale="source")
        novel = novelty(Ns, Nt, novelty_settings or NoveltySettings(seed=seed), device=device)

    projection = None
    if umap:
        with step("umap"):
            projection = umap_projection(Fs, Ft, max_per_domain=max_umap_per_domain, seed=seed)
    seconds["total"] = round(time.perf_counter() - start, 4)
    if progress is not None:
        progress("done", 1.0)
    pairing = target.meta.get("pair_report")
    return GapReport(
        source=source.name,
        target=target.name,
        feature_space=space,
        feature_dim=Fs.shape[1],
        settings=settings,
        gap=measured.gap,
        per_class=per_class,
        per_class_labels=labels_kind,
        per_class_note=note,
        label_shift=shift,
        seconds=seconds,
        target_foreignness=measured.target_scores,
        target_log_odds=measured.target_log_odds,
        umap=projection,
        novelty=novel,
        pair_notes=tuple(pairing.lines()) if isinstance(pairing, PairReport) else (),
        class_settings=class_settings,
    )
