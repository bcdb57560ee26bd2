"""Why two domains differ: statistics -> findings -> checked fixes -> verdict, in one call.

:func:`explain` is what ``python -m tlcore diagnose`` (text, ``--json``, ``--report``) and the
Diagnose page call after the gap itself (:func:`tlcore.diagnosis.diagnose`); it returns an
:class:`~tlcore.explain.result.Explanation`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from tlcore.data.domain import Domain
from tlcore.data.harmonise import pair_image_shape
from tlcore.data.ink import MIN_SIDE
from tlcore.data.spec import load_domain
from tlcore.data.spec_text import parse_spec
from tlcore.errors import TLError
from tlcore.explain.check_measure import CheckMeasure, cheap_measure
from tlcore.explain.columns import Drift, column_drift
from tlcore.explain.evidence import BlankImages, ClassMismatch, LabelShiftSummary, NoveltySummary
from tlcore.explain.findings import Finding, compare, polarity_skipped
from tlcore.explain.fix_checks import with_checks
from tlcore.explain.fixes import Fix, PairContext, Side
from tlcore.explain.gap_shares import every_class_target, measure_shares
from tlcore.explain.image_stats import (
    BLANK_MIN,
    ImageStats,
    image_stats,
    ink_index,
    photo_pair,
)
from tlcore.explain.mean_images import mean_images, pictured
from tlcore.explain.result import Explanation
from tlcore.explain.settings import ExplainSettings
from tlcore.explain.verdict import verdict
from tlcore.gap_level import MIN_POWER, gap_level
from tlcore.metrics.gap import Gap
from tlcore.workspace import Workspace

Progress = Callable[[str, float], None]  # (step description, fraction done in [0, 1])
DEFAULT_SETTINGS = ExplainSettings()
NOT_IMAGES = "the image checks do not apply: the domains hold feature vectors, not images"
TOO_SMALL = f"the image checks do not apply: images smaller than {MIN_SIDE}x{MIN_SIDE} pixels"


def spec_of(domain: Domain, given: str | None) -> str | None:
    """The spec naming ``domain``: ``given``, else its name when that parses as a spec."""
    text = given if given is not None else domain.name
    try:
        parse_spec(text)
    except TLError:
        return None
    return text


def _blank_images(
    domains: dict[Side, Domain], stats: dict[Side, ImageStats], settings: ExplainSettings
) -> tuple[tuple[BlankImages, ...], CheckMeasure | None]:
    """The sides at least :data:`~tlcore.explain.image_stats.BLANK_MIN` of whose summarised images are
    blank, counted on every image (all of them when every summarised one is), and the check measure of
    the pair without them (None when no side is partly blank, or fewer than
    :data:`~tlcore.gap_level.MIN_POWER` images with ink are left on a side)."""
    blank, kept = [], {}
    photos = bool(stats) and photo_pair(stats["source"], stats["target"])  # feature vectors: none
    for side, stat in stats.items():
        domain = domains[side]
        if not stat.n_images or stat.n_blank < BLANK_MIN * stat.n_images:
            continue
        if stat.n_blank == stat.n_images:
            blank.append(BlankImages(side, domain.n_samples, domain.n_samples, photos))
            continue
        kept[side] = ink_index(domain)
        blank.append(BlankImages(side, domain.n_samples - len(kept[side]), domain.n_samples, photos))
    if not kept or any(b.every for b in blank) or min(len(k) for k in kept.values()) < MIN_POWER:
        return tuple(blank), None
    source, target = (domains[s].subset(kept[s]) if s in kept else domains[s] for s in ("source", "target"))
    return tuple(blank), cheap_measure(source, target, settings)


def explain(
    source: Domain,
    target: Domain,
    *,
    source_spec: str | None = None,
    target_spec: str | None = None,
    workspace: Workspace | None = None,
    settings: ExplainSettings = DEFAULT_SETTINGS,
    gap: Gap | None = None,
    label_shift: LabelShiftSummary | None = None,
    novelty: NoveltySummary | None = None,
    copied: tuple[int, int] | None = None,
    progress: Progress | None = None,
) -> Explanation:
    """Explain the gap of a harmonised pair (see :mod:`tlcore.data.harmonise`).

    ``source_spec`` / ``target_spec`` name the domains (default: their names, the canonical specs
    :func:`tlcore.data.load_domain` gives them); fixes are written on them and checked by loading
    the fixed spec from ``workspace`` with ``settings.seed``, which should be the seed the pair was
    loaded with. ``gap`` (the diagnosis's gap) sets the gap level the verdict speaks of, default the
    checks' cheap gap. ``label_shift`` and ``novelty`` come from the label-shift and coverage
    estimates when they were made; without them the verdict ranks the image causes only. ``copied``:
    the target samples that are copies of source samples (found by content: :mod:`tlcore.data.overlap`)
    and the target's samples, which the verdict names first when many. A labelled
    target's class priors are counted instead of estimated (:meth:`LabelShiftSummary.from_labels`). Classes
    one side lacks come from the pair report :func:`tlcore.data.harmonise.harmonise` left on the
    target (:class:`~tlcore.explain.evidence.ClassMismatch`). Each cause's share of the gap
    (:func:`tlcore.explain.gap_shares.measure_shares`) is measured on the checks' samples; target
    classes the source lacks by reloading the target spec with every class. Feature vectors have no
    image statistics: every column is compared instead (:func:`tlcore.explain.columns.column_drift`),
    the most drifted ones' shares measured with the others'.
    ``progress(step, fraction)`` is called as steps start and at the end.
    """
    start = time.perf_counter()
    seconds: dict[str, float] = {}
    current: list[tuple[str, float]] = []

    def step(name: str) -> None:
        now = time.perf_counter()
        if current:
            seconds[current[-1][0]] = round(now - current[-1][1], 4)
        current.append((name, now))
        if progress is not None:
            progress(name, 1.0 if name == "done" else min(0.95, 0.2 * (len(current) - 1)))

    specs: dict[Side, str | None] = {
        "source": spec_of(source, source_spec),
        "target": spec_of(target, target_spec),
    }
    s_name, t_name = specs["source"] or source.name, specs["target"] or target.name
    step("gap before any fix")
    before = cheap_measure(source, target, settings)

    def load(spec: str, image_shape: tuple[int, ...] | None) -> Domain:
        return load_domain(spec, workspace, seed=settings.seed, image_shape=image_shape)

    measured = gap or before.gap
    level = gap_level(measured)
    stats: dict[Side, ImageStats] = {}
    findings: list[Finding] = []
    combined: Fix | None = None
    pictures, note = None, NOT_IMAGES if not (source.is_image and target.is_image) else TOO_SMALL
    if source.is_image and target.is_image and min(source.X.shape[-2:]) >= MIN_SIDE:
        step("image statistics")
        stats = {
            side: image_stats(d, max_images=settings.max_images, seed=settings.seed)
            for side, d in (("source", source), ("target", target))
        }
        pictures = mean_images(
            *(
                pictured(d, stats[side].drops_blank, settings.max_images, settings.seed)
                for side, d in (("source", source), ("target", target))
            )
        )
        note = "; ".join(
            [
                f"{side} statistics on a seeded subsample of {s.n_images} of its {s.n_total} images"
                for side, s in stats.items()
                if s.subsampled
            ]
            + [
                s.describe_blank(side, photos=photo_pair(stats["source"], stats["target"]))
                for side, s in stats.items()
                if s.n_blank
            ]
        )

        pair = PairContext(source, target, stats, specs, settings)
        findings, combined = with_checks(
            compare(stats["source"], stats["target"], settings.fdr), pair, before, load, step
        )
        if photos := polarity_skipped(stats["source"], stats["target"]):
            note = "; ".join(x for x in (note, f"polarity not compared: {photos}") if x)
    drift: tuple[Drift, ...] = ()
    if not source.is_image:
        step("column drift")
        drift = column_drift(source, target, settings)
    step("gap shares")
    blank, clean = _blank_images({"source": source, "target": target}, stats, settings)
    partly = any(not b.every for b in blank)
    classes = ClassMismatch.of(source, target, settings.fdr)
    label_shift = (
        LabelShiftSummary.from_labels(source, target, settings.seed) or label_shift
    )  # counted beats estimated
    t_spec = specs["target"]
    shares = measure_shares(
        source,
        target,
        before,
        settings,
        label_shift=label_shift,
        classes=classes,
        every_class=None
        if t_spec is None
        else lambda: every_class_target(source, lambda: load(t_spec, pair_image_shape(source))),
        columns=drift,
        without_blank=clean,
    )
    if partly and clean is None:
        few = f"fewer than {MIN_POWER} images with ink on a side"
        shares = replace(shares, notes=shares.notes | {"blank": few, "novelty": few})
    step("verdict")
    judged = verdict(
        findings,
        level,
        source_spec=s_name,
        target_spec=t_name,
        label_shift=label_shift,
        novelty=(clean.novelty if clean is not None else None) if partly else novelty,
        classes=classes,
        samples=(measured.n_source, measured.n_target),
        copied=copied,
        shares=shares,
        basis=settings.basis(before.gap.n_source, before.gap.n_target),
        blank=blank,
        max_column_causes=settings.max_column_causes,
        combined=combined,
    )
    step("done")
    seconds["total"] = round(time.perf_counter() - start, 4)
    return Explanation(
        source=source.name,
        target=target.name,
        source_spec=s_name,
        target_spec=t_name,
        applies=bool(stats),
        note=note,
        settings=settings,
        gap=before.gap,
        verdict=judged,
        shares=shares,
        source_stats=stats.get("source"),
        target_stats=stats.get("target"),
        findings=tuple(findings),
        mean_images=pictures,
        seconds=seconds,
        blank=blank,
        combined=combined,
    )
