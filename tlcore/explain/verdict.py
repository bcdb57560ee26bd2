"""The verdict: the causes of a gap, ranked, in plain words, and what to do next.

Causes and their *share*: the share of the gap each one accounts for, in [0, 1], one currency for
all: how much MMD² (the fix checks' :func:`~tlcore.explain.fixes.cheap_measure`) falls when the
cause is removed from the pair (:mod:`tlcore.explain.gap_shares` says how, per cause). Each cause
keeps its own number in its detail:

* an appearance finding whose checked fix helps (:mod:`tlcore.explain.fixes`): its fix applied; a
  helpful fix whose finding a higher-ranked fix already resolves is folded into that one;
* target classes the source lacks (:class:`~tlcore.explain.evidence.ClassMismatch`, their share of
  the target's samples; dropped from the pair: no source-trained model can classify them); source
  classes a labelled target lacks (their share of the source, a lower bound on the total variation
  between the class priors; with label shift too, one cause: missing classes are a label shift);
* label shift (:class:`~tlcore.explain.evidence.LabelShiftSummary`), from :data:`LABEL_SHIFT_MIN`
  estimated total variation between the class priors;
* a drifted column of feature vectors (:mod:`tlcore.explain.columns`; adaptation gets what they leave);
* new regions, when the novel share is significantly above chance
  (:class:`~tlcore.explain.evidence.NoveltySummary` ``new``) and at least :data:`NOVELTY_MIN` of the
  target has no source neighbour. An appearance change alone moves every sample away from the source,
  so fix checks re-measure it (:func:`novelty_fix`): after the helpful fix that leaves the least, it
  stays a cause (its share measured after that fix) only if still new and at least
  :data:`NOVELTY_MIN`, its share then measured before any fix like every other cause's. When no
  check can tell, the share before any fix counts, unless a fix removes at least :data:`MOST` of
  the gap.

These rank by share, largest first (each measured alone: shares overlap), except that new regions
come first when at least :data:`MOST` of the target has no source neighbour (other data: a fix that
pulls it nearer does not make it the source's); a cause whose share could not be measured (no
labels, too few samples: :mod:`~tlcore.explain.gap_shares`) follows the measured ones and says why.
When the gap is not ``none``, no fix removes it (the test after the fix finds none) and no cause
accounts for :data:`NEARLY_ALL` of it, strong findings that no helpful fix explains follow (by their
standardised difference), then the rest of the gap (at most one minus the largest share) for
adaptation with the recommended recipe (:data:`tlcore.adapt.recipe.RECOMMENDED`), which is the first
cause when nothing else is found. A cause under :data:`SHARE_FLOOR` of the gap (or whose removal
raises MMD²) does not account for it: it comes last, saying so. With no detectable gap the headline
says so first (or that the gap is only with the target classes the source lacks); with fewer than
:data:`tlcore.diagnosis.MIN_POWER` samples on a side it says the test could not tell; when every
image of a side is blank, that is the whole verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.diagnosis import MIN_POWER, GapLevel, low_power_note
from tlcore.explain.causes import (
    Cause,
    GapPart,
    adaptation_cause,
    fix_cause,
    label_shift_cause,
    missing_classes_cause,
    new_classes_cause,
    novelty_cause,
    pct,
    unfixed_cause,
)
from tlcore.explain.columns import column_causes
from tlcore.explain.evidence import TRUE_LABELS, ClassMismatch, LabelShiftSummary, NoveltySummary
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.headline import MOST, SHARE_FLOOR, first_words, no_cause

LABEL_SHIFT_MIN = 0.1  # total variation between class priors from which label shift is a cause
NOVELTY_MIN = 0.05  # share of target samples without source neighbours from which they are a cause
NEARLY_ALL = 0.9  # a cause with at least this share leaves adaptation too little to bridge
OVERLAP = " Each share is measured with only that cause removed, so shares overlap and need not add up."
FEW = f"fewer than the {NOVELTY_MIN:.0%} from which new data is a cause"


@dataclass(frozen=True)
class Verdict:
    """The ranked causes and one plain-words reading: ``headline`` (what explains the gap) and
    ``next_step`` (the first cause's action); ``coverage`` how it reads the target's novel share (the
    diagnosis's advice on it defers to this when novelty is no cause)."""

    headline: str
    next_step: str
    causes: tuple[Cause, ...]
    coverage: str = ""

    @property
    def counts_novelty(self) -> bool:
        return any(c.kind == "novelty" for c in self.causes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "next_step": self.next_step,
            "causes": [c.to_dict() for c in self.causes],
            "coverage": self.coverage,
        }


@dataclass(frozen=True)
class _Coverage:
    """The novel share read: its cause (or None), a sentence for the cause of the ``note``-th
    accepted fix (or None), and what the adaptation cause says of the coverage."""

    cause: Cause | None
    note: tuple[int, str] | None
    sentence: str


def novelty_fix(findings: Sequence[Finding]) -> Fix | None:
    """The fix after which the verdict reads the novel share: of the helpful fixes it suggests, the
    one whose check leaves the least, of those whose check saw the target new before it
    (:attr:`~tlcore.explain.fixes.FixCheck.clears_novelty` not None); None when no check can tell."""
    fixes = [f.fix for f in _accepted_fixes(findings)[0]]
    told = [fix for fix in fixes if fix.check.clears_novelty is not None]  # type: ignore[union-attr]
    return min(told, key=lambda fix: fix.check.novelty_after.share, default=None)  # type: ignore[union-attr]


def _part(shares: GapShares | None, kind: str, how: str, after: float | None, *, basis: str = "") -> GapPart:
    """A cause's share of the gap once MMD² falls from the gap before any fix to ``after`` with the
    cause removed ``how`` (:mod:`tlcore.explain.gap_shares`), measured ``basis``
    (:meth:`~tlcore.explain.settings.ExplainSettings.basis`); a rise is said, with share 0."""
    if shares is None:
        return GapPart(None, " Its share of the gap is not measured here.")
    start = shares.mmd2
    share = shares.share(start, after)
    if share is None or after is None:
        why = shares.notes.get(kind, "nothing to remove it by")
        return GapPart(None, f" Its share of the gap is not measured ({why}).")
    measured = f" {how}, MMD² {start:.3g} -> {after:.3g}{_on(basis)}"
    if after > start:  # removing it adds to the gap: say so, not a silent 0%
        return GapPart(0.0, f"{measured} rises: it accounts for none of the measured gap.")
    return GapPart(share, f"{measured}: it accounts for {pct(share)} of the gap.")


def _on(basis: str) -> str:
    return f" {basis}" if basis else ""


def _new_classes_part(shares: GapShares | None, basis: str) -> GapPart:
    if shares is None or shares.new_classes is None or shares.with_new_classes is None:
        why = "not measured here" if shares is None else shares.notes.get("new_classes", "not measured")
        return GapPart(None, f" Their share of the gap is not measured ({why}).")
    return GapPart(
        shares.new_classes,
        f" With them MMD² is {shares.with_new_classes:.3g}, without {shares.mmd2:.3g}{_on(basis)}: they "
        f"account for {pct(shares.new_classes)} of the gap.",
    )


def _after_fix(
    novelty: NoveltySummary, fix: Fix, index: int, shares: GapShares | None, basis: str
) -> _Coverage:
    """The novel share as the check of ``fix`` (the ``index``-th accepted) left it; ``before`` and
    ``after`` are the check's, measured ``basis`` (``novelty`` is the diagnosis's)."""
    check = fix.check
    assert check is not None and check.novelty_before is not None and check.novelty_after is not None
    left, words = check.novelty_after, f"{fix.shift}={fix.value:g} on the {fix.side}"
    before, now = pct(check.novelty_before.share), pct(left.share)
    if left.new and left.share >= NOVELTY_MIN:
        sentence = f"{now} of the target has no source neighbour even after {words} (a cause above)"
        how = "Without the novel target samples beyond chance (before any fix, as every share)"
        part = _part(shares, "novelty", how, None if shares is None else shares.covered, basis=basis)
        return _Coverage(novelty_cause(novelty, part, check, words, basis), None, sentence)
    why = FEW if left.new else "no more than chance gives: the same kind of data, seen differently"
    note = f" {before} of the target had no source neighbour before it, {now} after it: {why}."
    sentence = (
        f"{now} of the target has no source neighbour once {words} is applied ({before} before"
        f"{_on(basis)}), {why}"
        if left.new
        else f"the source covers the target once {words} is applied ({now} without a source neighbour, "
        f"{before} before{_on(basis)})"
    )
    return _Coverage(None, (index, note), sentence)


def _read_coverage(
    novelty: NoveltySummary | None,
    findings: Sequence[Finding],
    accepted: Sequence[Finding],
    explained: bool,
    shares: GapShares | None,
    *,
    basis: str = "",
) -> _Coverage:
    """The novel share as the module docstring reads it: after the fix that leaves the least when a
    check can tell, else before any fix (folded into the best fix when that explains most of the gap)."""
    if novelty is None:
        return _Coverage(None, None, "how well the source covers the target is not measured here")
    share = pct(novelty.share)
    if not novelty.new:
        chance = (
            f"the source covers the target ({share} without a source neighbour, no more than chance gives)"
        )
        return _Coverage(None, None, chance)
    if novelty.share < NOVELTY_MIN:
        return _Coverage(None, None, f"{share} of the target has no source neighbour, {FEW}")
    fix = novelty_fix(findings)
    if fix is not None:
        return _after_fix(novelty, fix, [f.fix for f in accepted].index(fix), shares, basis)
    if explained:  # the best fix comes first
        note = f" {share} of the target had no source neighbour before it: diagnose again with it."
        sentence = f"{share} of the target had no source neighbour before the fix; diagnose again with it"
        return _Coverage(None, (0, note), sentence)
    sentence = f"{share} of the target has no source neighbour (a cause above)"
    how = "Without the novel target samples beyond chance"
    part = _part(shares, "novelty", how, None if shares is None else shares.covered, basis=basis)
    return _Coverage(novelty_cause(novelty, part), None, sentence)


def _accepted_fixes(findings: Sequence[Finding]) -> tuple[list[Finding], set[str]]:
    """The helpful fixes, best first, less those whose finding a better fix resolves; the statistics
    they resolve."""
    helpful = sorted(
        (f for f in findings if f.fires and f.fix is not None and f.fix.helps and f.fix.spec),
        key=lambda f: f.fix.check.relative_change,  # type: ignore[union-attr]
    )
    accepted: list[Finding] = []
    resolved: set[str] = set()
    for finding in helpful:
        if finding.statistic not in resolved:
            accepted.append(finding)
            resolved |= {finding.statistic, *finding.fix.check.resolves}  # type: ignore[union-attr]
    return accepted, resolved


def rank_causes(
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
) -> list[Cause]:
    """Every cause in the order of the module docstring; ``shares`` measures the causes other than
    fixes on the gap (without it, they rank after the fixes, unmeasured); ``basis`` says where the fix
    checks measure (:meth:`~tlcore.explain.settings.ExplainSettings.basis`)."""
    return _ranked(
        findings,
        level,
        source_spec=source_spec,
        target_spec=target_spec,
        label_shift=label_shift,
        novelty=novelty,
        classes=classes,
        shares=shares,
        basis=basis,
    )[0]


def _ranked(
    findings: Sequence[Finding],
    level: GapLevel,
    *,
    source_spec: str,
    target_spec: str,
    label_shift: LabelShiftSummary | None,
    novelty: NoveltySummary | None,
    classes: ClassMismatch | None,
    shares: GapShares | None,
    basis: str,
) -> tuple[list[Cause], str]:
    """:func:`rank_causes` and the sentence reading the novel share (:attr:`Verdict.coverage`)."""
    accepted, resolved = _accepted_fixes(findings)
    scale = 1.0 - (shares.new_classes or 0.0) if shares is not None else 1.0
    shared = [fix_cause(f, scale * f.fix.check.shrinks_by, basis) for f in accepted]  # type: ignore[union-attr]
    removed = any(f.fix.check.removes_gap for f in accepted)  # type: ignore[union-attr]
    explained = any((c.share or 0.0) >= MOST for c in shared)
    coverage = _read_coverage(novelty, findings, accepted, explained, shares, basis=basis)
    if coverage.note is not None:
        i, note = coverage.note
        shared[i] = replace(shared[i], detail=shared[i].detail + note)
    if classes is not None and classes.new:
        shared.append(new_classes_cause(classes, _new_classes_part(shares, basis)))
    shift = None
    if label_shift is not None and label_shift.tv >= LABEL_SHIFT_MIN:
        after = None if shares is None else shares.label_shift
        counted = label_shift.method == TRUE_LABELS
        how = f"Drawing the source to the {'' if counted else 'estimated '}target priors"
        shift = label_shift_cause(label_shift, _part(shares, "label_shift", how, after, basis=basis))
    if classes is not None and classes.missing:  # a label shift too: one cause
        after = None if shares is None else shares.missing_classes
        part = _part(shares, "missing_classes", "Drawing the source without them", after, basis=basis)
        shared.append(missing_classes_cause(classes, part, shift))
    elif shift is not None:
        shared.append(shift)
    if coverage.cause is not None:
        shared.append(coverage.cause)
    columns = column_causes(shares, basis)  # feature vectors: the drifted columns
    shared += columns
    # most of the target new, and no fix makes it the source's look: the new data first
    foreign = _foreign(novelty) and coverage.cause is not None and not _a_new_look(shared)
    shared.sort(key=lambda c: (not (foreign and c.kind == "novelty"), c.share is None, -(c.share or 0.0)))
    major = [c for c in shared if c.share is None or c.share >= SHARE_FLOOR]
    minor = [_below_floor(c) for c in shared if c.share is not None and c.share < SHARE_FLOOR]
    largest = max((c.share for c in major if c.share is not None), default=None)
    if columns and shares is not None:  # the checked columns matched together leave adaptation less
        largest = max(largest or 0.0, shares.columns_share or 0.0)
    if level == "none" or removed or (largest or 0.0) >= NEARLY_ALL:  # no gap left for adaptation
        return [*major, *minor], coverage.sentence
    unfixed = sorted(
        (f for f in findings if f.severity == "strong" and f.statistic not in resolved),
        key=lambda f: -abs(f.difference),
    )
    causes = [*major, *(unfixed_cause(f) for f in unfixed)]
    rest = None if largest is None else 1.0 - largest
    adapt = adaptation_cause(level, coverage.sentence, not causes, source_spec, target_spec, rest=rest)
    return [*causes, adapt, *minor], coverage.sentence


def _foreign(novelty: NoveltySummary | None) -> bool:
    """At least :data:`MOST` of the target has no source neighbour: then it is largely other data,
    and what a fix removes of the gap says how near it can be pulled, not what it is."""
    return novelty is not None and novelty.new and novelty.share >= MOST


def _a_new_look(causes: Sequence[Cause]) -> bool:
    """A fix accounts for :data:`NEARLY_ALL` of the gap: the target is a new look of the source's data
    however much of it had no source neighbour before (QA: inverted digits with 1% Fashion, 100% novel
    before the fix, 17% after it, read as "most of the target is new data")."""
    return any(c.kind == "appearance" and (c.share or 0.0) >= NEARLY_ALL for c in causes)


def _below_floor(cause: Cause) -> Cause:
    """A cause under :data:`SHARE_FLOOR` of the gap, saying it does not account for it; class
    proportions still matter to a classifier (its priors), whatever the features' MMD² says."""
    why = f" It does not explain the measured gap (under {pct(SHARE_FLOOR)} of it)"
    priors = cause.kind in ("label_shift", "missing_classes")
    why += ", but a classifier still needs its priors corrected." if priors else "."
    return replace(cause, detail=cause.detail + why)


def verdict(
    findings: Sequence[Finding],
    level: GapLevel,
    *,
    source_spec: str,
    target_spec: str,
    label_shift: LabelShiftSummary | None = None,
    novelty: NoveltySummary | None = None,
    classes: ClassMismatch | None = None,
    samples: tuple[int, int] | None = None,
    shares: GapShares | None = None,
    basis: str = "",
    blank: Sequence[str] = (),
) -> Verdict:
    """The ranked causes (:func:`rank_causes`) read as one headline and the next step; ``samples``
    (source, target) adds a note when a side is too small for the tests to tell. The headline's first
    cause is the largest *measured* one; causes without a share (no fix or removal measured one) are
    named apart. ``blank`` names the sides every image of which is blank: then there is nothing to
    adapt, and that is the verdict."""
    if blank:
        sides = " and ".join(blank)
        return Verdict(
            f"Every {sides} image is blank (no ink): there is nothing to adapt, the images are empty.",
            f"check the {sides} data: its images hold nothing",
            (),
        )
    causes, coverage = _ranked(
        findings,
        level,
        source_spec=source_spec,
        target_spec=target_spec,
        label_shift=label_shift,
        novelty=novelty,
        classes=classes,
        shares=shares,
        basis=basis,
    )
    few = low_power_note(*samples) if samples is not None else ""
    if not causes:
        headline = no_cause(findings)
        if few:
            return Verdict(
                f"{headline} {few}",
                f"collect at least {MIN_POWER} samples per side, diagnose again",
                (),
                coverage,
            )
        return Verdict(headline, "nothing to do", (), coverage)
    first = causes[0]
    headline = first_words(first, level, _foreign(novelty) and not _a_new_look(causes))
    others = [c for c in causes[1:] if c.kind != "adaptation"]
    measured = [c.title for c in others if c.share is not None]
    unmeasured = [c.title for c in others if c.share is None]
    if measured:
        headline += f" Also: {'; '.join(measured)}."
    if unmeasured:
        headline += (
            " Also found, with no share of the gap measured (no helpful fix or removal to measure it "
            f"by): {'; '.join(unmeasured)}."
        )
    if sum(c.share is not None and c.share >= SHARE_FLOOR for c in causes) > 1:
        headline += OVERLAP
    next_step = first.action
    adapts = any(c.kind == "adaptation" for c in causes)
    if adapts and first.kind != "adaptation" and (first.share or 0.0) < MOST:
        next_step += f"; then adapt with the recommended recipe ({RECOMMENDED.label}) for the rest"
    if few:
        headline += f" {few}"
    return Verdict(headline, next_step, tuple(causes), coverage)
