"""The causes of a gap, ranked: each one's share of the gap and the order they come in.

Causes and their *share*: the share of the gap each one accounts for, in [0, 1], one currency for
all: how much MMD² (the fix checks' :func:`~tlcore.explain.check_measure.cheap_measure`) falls when the
cause is removed from the pair (:mod:`tlcore.explain.gap_shares` says how, per cause). Each cause
keeps its own number in its detail:

* an appearance finding whose checked fix helps (:mod:`tlcore.explain.fixes`): its fix applied; a
  helpful fix whose finding a higher-ranked fix already resolves is folded into that one; the helpful
  fixes applied together, one cause of their own, when they explain more than the best alone
  (:func:`~tlcore.explain.novelty_reading.explains_more`);
* target classes the source lacks (:class:`~tlcore.explain.evidence.ClassMismatch`, their share of
  the target's samples; dropped from the pair: no source-trained model can classify them); source
  classes a labelled target lacks (their share of the source, a lower bound on the total variation
  between the class priors; with label shift too, one cause: missing classes are a label shift);
* label shift (:class:`~tlcore.explain.evidence.LabelShiftSummary`), from :data:`LABEL_SHIFT_MIN`
  estimated total variation between the class priors (counted from the target's labels: and only when
  a random split of the pooled labels differs as much less often than
  :data:`~tlcore.metrics.coverage.SIGNIFICANCE`);
* a drifted column of feature vectors (:mod:`tlcore.explain.columns`; adaptation gets what they leave);
* new regions, as :mod:`tlcore.explain.novelty_reading` reads the novel share;
* blank images (no ink), when at least :data:`~tlcore.explain.image_stats.BLANK_MIN` of a side's images
  are (:class:`~tlcore.explain.evidence.BlankImages`): their share measured on the pair without
  them, their fix the side's spec with ``blank=drop``.

These rank by share, largest first (each measured alone, a column on top of those before it: shares
overlap), except that blank images come first (a problem of the data, to solve before any other)
and new regions next when at least :data:`MOST` of the target has no source neighbour (other data:
a fix that pulls it nearer does not make it the source's); a cause whose share could not be
measured (no labels, too few samples: :mod:`~tlcore.explain.gap_shares`)
follows the measured ones and says why.
When the gap is not ``none``, no fix removes it (the test after the fix finds none) and no cause
accounts for :data:`NEARLY_ALL` of it, strong findings that no helpful fix explains follow (by their
standardised difference), then the rest of the gap (at most one minus the largest share) for
adaptation with the recommended recipe (:data:`tlcore.adapt.recipe.RECOMMENDED`), which is the first
cause when nothing else is found. A cause under :data:`SHARE_FLOOR` of the gap (or whose removal
raises MMD²) does not account for it: it comes last, saying so (blank images keep their place).
:mod:`tlcore.explain.verdict` reads them as one headline and the next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Required, TypedDict, Unpack

from tlcore.explain.causes import (
    Cause,
    GapPart,
    adaptation_cause,
    blank_cause,
    column_cause,
    combined_cause,
    fix_cause,
    gap_part,
    label_shift_cause,
    missing_classes_cause,
    new_classes_cause,
    on,
    pct,
    row_number_cause,
    unfixed_cause,
)
from tlcore.explain.columns import ranked_columns, set_aside
from tlcore.explain.evidence import (
    TRUE_LABELS,
    BlankImages,
    ClassMismatch,
    LabelShiftSummary,
    NoveltySummary,
)
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.headline import MOST, SHARE_FLOOR
from tlcore.explain.novelty_reading import Coverage, helpful_fixes, read_coverage, suggested_fixes
from tlcore.explain.settings import ExplainSettings
from tlcore.gap_level import GapLevel
from tlcore.metrics.coverage import SIGNIFICANCE

LABEL_SHIFT_MIN = 0.1  # total variation between class priors from which label shift is a cause
NEARLY_ALL = 0.9  # a cause with at least this share leaves adaptation too little to bridge


def _new_classes_part(shares: GapShares | None, basis: str) -> GapPart:
    if shares is None or shares.new_classes is None or shares.with_new_classes is None:
        why = "not measured here" if shares is None else shares.notes.get("new_classes", "not measured")
        return GapPart(None, f" Their share of the gap is not measured ({why}).")
    return GapPart(
        shares.new_classes,
        f" With them MMD² is {shares.with_new_classes:.3g}, without {shares.mmd2:.3g}{on(basis)}: they "
        f"account for {pct(shares.new_classes)} of the gap.",
    )


class Evidence(TypedDict, total=False):
    """What :func:`rank_causes` and :func:`~tlcore.explain.verdict.verdict` weigh beside the findings:
    the specs the actions name; label shift, novelty and class mismatch when known; ``shares`` measures
    the causes other than fixes on the gap (without it, they rank after the fixes, unmeasured); ``basis``
    says where the fix checks measure (:meth:`~tlcore.explain.settings.ExplainSettings.basis`); ``blank`` the
    sides with at least :data:`~tlcore.explain.image_stats.BLANK_MIN` blank images;
    ``max_column_causes`` the most drifted columns named as causes (its
    :class:`~tlcore.explain.settings.ExplainSettings` field); ``combined`` the helpful fixes applied
    together, with those that help on top of them (:func:`tlcore.explain.fix_checks.grown_fix`,
    checked)."""

    source_spec: Required[str]
    target_spec: Required[str]
    label_shift: LabelShiftSummary | None
    novelty: NoveltySummary | None
    classes: ClassMismatch | None
    shares: GapShares | None
    basis: str
    blank: Sequence[BlankImages]
    max_column_causes: int
    combined: Fix | None


def rank_causes(findings: Sequence[Finding], level: GapLevel, **evidence: Unpack[Evidence]) -> list[Cause]:
    """Every cause in the order of the module docstring."""
    return ranked_causes(findings, level, **evidence)[0]


def ranked_causes(
    findings: Sequence[Finding],
    level: GapLevel,
    *,
    source_spec: str,
    target_spec: str,
    label_shift: LabelShiftSummary | None = None,
    novelty: NoveltySummary | None = None,
    classes: ClassMismatch | None = None,
    shares: GapShares | None = None,
    basis: str = "",
    blank: Sequence[BlankImages] = (),
    max_column_causes: int = ExplainSettings.max_column_causes,
    combined: Fix | None = None,
) -> tuple[list[Cause], Coverage]:
    """:func:`rank_causes` and how it reads the novel share
    (:attr:`tlcore.explain.verdict.Verdict.coverage`)."""
    scale = 1.0 - (shares.new_classes or 0.0) if shares is not None else 1.0
    shared, fixes, resolved = _fix_causes(findings, combined, scale, basis)
    removed = any(fix.check.removes_gap for fix in fixes)  # type: ignore[union-attr]
    columns = column_causes(shares, basis, max_column_causes)  # feature vectors: the drifted columns
    matched = bool(columns) and shares is not None and (shares.columns_share or 0.0) >= MOST
    explained = matched or any((c.share or 0.0) >= MOST for c in shared)
    partly = [b for b in blank if not b.every]
    fix = "" if shared or not matched or shares.mixes else "matching the drifted columns"  # type: ignore[union-attr]
    coverage = read_coverage(
        novelty,
        findings,
        explained,
        shares,
        basis=basis,
        blank=bool(partly),
        fix=fix,
        combined=combined,
        photos=any(b.photos for b in partly),
    )
    if coverage.note is not None:  # on the fix it names; feature vectors: their columns matched together
        i, note = coverage.note
        fixed = shared or columns
        fixed[i] = replace(fixed[i], detail=fixed[i].detail + note)
    if partly:
        after = None if shares is None else shares.without_blank
        part = gap_part(shares, "blank", "Without them", after, basis=basis)
        shared.append(blank_cause(partly, part, {"source": source_spec, "target": target_spec}))
    if classes is not None and classes.new:
        shared.append(new_classes_cause(classes, _new_classes_part(shares, basis)))
    shift = None
    if label_shift is not None and label_shift.tv >= LABEL_SHIFT_MIN and not _by_chance(label_shift):
        after = None if shares is None else shares.label_shift
        counted = label_shift.method == TRUE_LABELS
        how = f"Drawing the source to the {'' if counted else 'estimated '}target priors"
        shift = label_shift_cause(label_shift, gap_part(shares, "label_shift", how, after, basis=basis))
    if classes is not None and classes.missing:  # a label shift too: one cause
        after = None if shares is None else shares.missing_classes
        part = gap_part(shares, "missing_classes", "Drawing the source without them", after, basis=basis)
        shared.append(missing_classes_cause(classes, part, shift))
    elif shift is not None:
        shared.append(shift)
    if coverage.cause is not None:
        shared.append(coverage.cause)
    shared += columns
    # blank images first; most of the target new, and no fix makes it the source's look: the new data next
    foreign = foreign_target(novelty) and coverage.cause is not None and not a_new_look(shared)
    shared.sort(
        key=lambda c: (
            c.kind != "blank",
            not (foreign and c.kind == "novelty"),
            c.share is None,
            -(c.share or 0.0),
        )
    )
    major = [_below_floor(c) if _low(c) else c for c in shared if c.kind == "blank" or not _low(c)]
    minor = [_below_floor(c) for c in shared if c.kind != "blank" and _low(c)]
    largest = max((c.share for c in major if c.share is not None), default=None)
    if columns and shares is not None and shares.columns_share is not None:  # matched together, the
        largest = max(largest or 0.0, shares.columns_share)  # checked columns leave adaptation less
    if level == "none" or removed or (largest or 0.0) >= NEARLY_ALL:  # no gap left for adaptation
        return [*major, *minor], coverage
    unfixed = sorted(
        (f for f in findings if f.severity == "strong" and f.statistic not in resolved),
        key=lambda f: -abs(f.difference),
    )
    causes = [*major, *(unfixed_cause(f) for f in unfixed)]
    rest = None if largest is None else 1.0 - largest
    adapt = adaptation_cause(level, coverage.sentence, not causes, source_spec, target_spec, rest=rest)
    return [*causes, adapt, *minor], coverage


def _fix_causes(
    findings: Sequence[Finding], combined: Fix | None, scale: float, basis: str
) -> tuple[list[Cause], list[Fix], set[str]]:
    """The causes of the suggested fixes (:func:`~tlcore.explain.novelty_reading.suggested_fixes`,
    their shares scaled by ``scale``), those fixes, and the statistics they resolve (the fixes together:
    those of their parts too, a fix that helps only on top of the others among them)."""
    accepted, resolved = helpful_fixes(findings)
    labels = {f.statistic: f.label for f in findings}  # on colour photos: the foreground's
    causes = [fix_cause(f, scale * f.fix.check.shrinks_by, basis, labels) for f in accepted]  # type: ignore[union-attr]
    fixes = suggested_fixes(findings, combined)
    if len(fixes) > len(accepted):  # the helpful fixes together explain more than the best alone
        together = fixes[0]
        assert together.check is not None
        parts = [f for f in findings if f.fix in together.parts]
        titles = [f.title for f in parts]
        causes.insert(0, combined_cause(together, titles, scale * together.check.shrinks_by, basis))
        resolved |= {*together.check.resolves, *(f.statistic for f in parts)}
    return causes, fixes, resolved


def _by_chance(shift: LabelShiftSummary) -> bool:
    """Counted priors that a random split of the pooled labels gives as often as not: small samples."""
    return shift.p_value is not None and shift.p_value >= SIGNIFICANCE


def foreign_target(novelty: NoveltySummary | None) -> bool:
    """At least :data:`MOST` of the target has no source neighbour: then it is largely other data,
    and what a fix removes of the gap says how near it can be pulled, not what it is."""
    return novelty is not None and novelty.new and novelty.share >= MOST


def a_new_look(causes: Sequence[Cause]) -> bool:
    """A fix accounts for :data:`NEARLY_ALL` of the gap: the target is a new look of the source's data
    however much of it had no source neighbour before (QA: inverted digits with 1% Fashion, 100% novel
    before the fix, 17% after it, read as "most of the target is new data")."""
    return any(c.kind == "appearance" and (c.share or 0.0) >= NEARLY_ALL for c in causes)


def column_causes(shares: GapShares | None, basis: str, limit: int) -> list[Cause]:
    """The checked columns of feature vectors with at least :data:`SHARE_FLOOR` of the gap, largest
    first, at most ``limit`` (:attr:`~tlcore.explain.settings.ExplainSettings.max_column_causes`);
    the first also says what the checked drifted columns account for matched together. When none could
    be checked (no gap to share on the fix checks' features: a few drifted columns among thousands
    barely move their PCA), the most drifted columns instead; then the row numbers set aside."""
    if shares is None:
        return []
    checked = sum(c.mmd2_after is not None and not c.row_number for c in shares.columns)
    if checked:
        ranked = [c for c in ranked_columns(shares.columns) if (c.share or 0.0) >= SHARE_FLOOR]
    else:
        ranked = sorted((c for c in shares.columns if c.fires and not c.row_number), key=lambda c: -c.drift)
    causes = [
        column_cause(c, shares, basis, checked=checked * (i == 0)) for i, c in enumerate(ranked[:limit])
    ]
    return causes + [row_number_cause(c) for c in set_aside(shares.columns)]


def _low(cause: Cause) -> bool:
    """Its share is measured and under :data:`SHARE_FLOOR` (blank images keep their place even so)."""
    return cause.share is not None and cause.share < SHARE_FLOOR


def _below_floor(cause: Cause) -> Cause:
    """A cause under :data:`SHARE_FLOOR` of the gap, saying it does not account for it; class
    proportions still matter to a classifier (its priors), whatever the features' MMD² says."""
    priors = cause.kind in ("label_shift", "missing_classes")
    if cause.share == 0.0 and not priors:  # 0%, or its removal raised MMD²: its detail says so
        return cause
    why = f" It does not explain the measured gap (under {pct(SHARE_FLOOR)} of it)"
    why += ", but a classifier still needs its priors corrected." if priors else "."
    return replace(cause, detail=cause.detail + why)
