"""The verdict: the causes of a gap, ranked, in plain words, and what to do next.

Causes and their *share*, the part of the gap or of the data each one accounts for, in [0, 1]:

* an appearance finding whose checked fix helps (:mod:`tlcore.explain.fixes`): the share of MMD²
  the fix removes; a helpful fix whose finding a higher-ranked fix already resolves is folded into
  that one;
* target classes the source lacks (:class:`~tlcore.explain.evidence.ClassMismatch`): the share of
  the target's samples in them (dropped from the pair: no source-trained model can classify them);
  source classes a labelled target lacks: their share of the source, a lower bound on the total
  variation between the class priors;
* label shift (:class:`~tlcore.explain.evidence.LabelShiftSummary`), from :data:`LABEL_SHIFT_MIN`
  total variation: the estimated total variation between the class priors;
* new regions, when the novel share is significantly above chance
  (:class:`~tlcore.explain.evidence.NoveltySummary` ``new``) and at least :data:`NOVELTY_MIN`: the
  share of target samples with no source neighbour. An appearance change alone moves every sample
  away from the source, so fix checks re-measure it (:func:`novelty_fix`): after the helpful fix
  that leaves the least, it stays a cause (with the share left) only if still new and at least
  :data:`NOVELTY_MIN`. When no check can tell, the share before any fix counts, unless a fix
  removes at least :data:`MOST` of the gap.

These rank by share, largest first. When the gap is not ``none`` and no fix removes it (the test
after the fix finds none), strong findings that no helpful fix explains follow (by their
standardised difference), then the rest of the gap for adaptation with the recommended recipe
(:data:`tlcore.adapt.recipe.RECOMMENDED`), which is the first cause when nothing else is found.
With no detectable gap the headline says so first; with fewer than
:data:`tlcore.diagnosis.MIN_POWER` samples on a side it says the test could not tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.diagnosis import MIN_POWER, GapLevel, low_power_note
from tlcore.explain.causes import (
    Cause,
    adaptation_cause,
    fix_cause,
    label_shift_cause,
    missing_classes_cause,
    new_classes_cause,
    novelty_cause,
    pct,
    unfixed_cause,
)
from tlcore.explain.evidence import ClassMismatch, LabelShiftSummary, NoveltySummary
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix

LABEL_SHIFT_MIN = 0.1  # total variation between class priors from which label shift is a cause
NOVELTY_MIN = 0.05  # share of target samples without source neighbours from which they are a cause
MOST = 0.5  # a cause with at least this share explains "most of the gap"
_FEW = f"fewer than the {NOVELTY_MIN:.0%} from which new data is a cause"


@dataclass(frozen=True)
class Verdict:
    """The ranked causes and one plain-words reading: ``headline`` (what explains the gap) and
    ``next_step`` (the first cause's action)."""

    headline: str
    next_step: str
    causes: tuple[Cause, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "next_step": self.next_step,
            "causes": [c.to_dict() for c in self.causes],
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


def _after_fix(novelty: NoveltySummary, fix: Fix, index: int) -> _Coverage:
    """The novel share as the check of ``fix`` (the ``index``-th accepted) left it; ``before`` and
    ``after`` are the check's, on the same samples and features (``novelty`` is the diagnosis's)."""
    check = fix.check
    assert check is not None and check.novelty_before is not None and check.novelty_after is not None
    left, words = check.novelty_after, f"{fix.shift}={fix.value:g} on the {fix.side}"
    before, now = pct(check.novelty_before.share), pct(left.share)
    if left.new and left.share >= NOVELTY_MIN:
        sentence = f"{now} of the target has no source neighbour even after {words} (a cause above)"
        return _Coverage(novelty_cause(novelty, check, words), None, sentence)
    why = _FEW if left.new else "no more than chance gives: the same kind of data, seen differently"
    note = f" {before} of the target had no source neighbour before it, {now} after it: {why}."
    sentence = (
        f"{now} of the target has no source neighbour once {words} is applied ({before} before), {why}"
        if left.new
        else f"the source covers the target once {words} is applied ({now} without a source neighbour, "
        f"{before} before)"
    )
    return _Coverage(None, (index, note), sentence)


def _read_coverage(
    novelty: NoveltySummary | None, findings: Sequence[Finding], accepted: Sequence[Finding], explained: bool
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
        return _Coverage(None, None, f"{share} of the target has no source neighbour, {_FEW}")
    fix = novelty_fix(findings)
    if fix is not None:
        return _after_fix(novelty, fix, [f.fix for f in accepted].index(fix))
    if explained:  # the best fix comes first
        note = f" {share} of the target had no source neighbour before it: diagnose again with it."
        sentence = f"{share} of the target had no source neighbour before the fix; diagnose again with it"
        return _Coverage(None, (0, note), sentence)
    sentence = f"{share} of the target has no source neighbour (a cause above)"
    return _Coverage(novelty_cause(novelty), None, sentence)


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
) -> list[Cause]:
    """Every cause in the order of the module docstring."""
    accepted, resolved = _accepted_fixes(findings)
    shared = [fix_cause(f) for f in accepted]
    removed = any(f.fix.check.removes_gap for f in accepted)  # type: ignore[union-attr]
    explained = any((c.share or 0.0) >= MOST for c in shared)
    coverage = _read_coverage(novelty, findings, accepted, explained)
    if coverage.note is not None:
        i, note = coverage.note
        shared[i] = replace(shared[i], detail=shared[i].detail + note)
    if classes is not None and classes.new:
        shared.append(new_classes_cause(classes))
    if classes is not None and classes.missing:
        shared.append(missing_classes_cause(classes))
    if label_shift is not None and label_shift.tv >= LABEL_SHIFT_MIN:
        shared.append(label_shift_cause(label_shift))
    if coverage.cause is not None:
        shared.append(coverage.cause)
    shared.sort(key=lambda c: -(c.share or 0.0))
    if level == "none" or removed:  # no gap left for adaptation to bridge
        return shared
    unfixed = sorted(
        (f for f in findings if f.severity == "strong" and f.statistic not in resolved),
        key=lambda f: -abs(f.difference),
    )
    causes = [*shared, *(unfixed_cause(f) for f in unfixed)]
    return [*causes, adaptation_cause(level, coverage.sentence, not causes, source_spec, target_spec)]


def _no_cause(findings: Sequence[Finding]) -> str:
    """The headline when there is no detectable gap and no cause."""
    if not findings:
        return "No detectable gap and no other cause found: nothing to fix."
    firing = [f.title for f in findings if f.fires]
    if firing:
        return (
            f"No detectable gap: the images differ ({'; '.join(firing)}), but not enough for the test "
            "to tell the domains apart: nothing to fix."
        )
    return "No detectable gap and nothing in the images differs: nothing to fix."


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
) -> Verdict:
    """The ranked causes (:func:`rank_causes`) read as one headline and the next step; ``samples``
    (source, target) adds a note when a side is too small for the tests to tell."""
    causes = rank_causes(
        findings,
        level,
        source_spec=source_spec,
        target_spec=target_spec,
        label_shift=label_shift,
        novelty=novelty,
        classes=classes,
    )
    few = low_power_note(*samples) if samples is not None else ""
    if not causes:
        headline = _no_cause(findings)
        if few:
            return Verdict(
                f"{headline} {few}", f"collect at least {MIN_POWER} samples per side, diagnose again", ()
            )
        return Verdict(headline, "nothing to do", ())
    first = causes[0]
    if level == "none":
        headline = "No detectable gap (the MMD test does not tell the domains apart), yet: "
        headline += f"{first.title}. {first.detail}"
    elif first.kind == "adaptation":
        headline = f"A {level} gap with no single cause found: {first.detail[0].lower()}{first.detail[1:]}"
    elif first.share is not None and first.share >= MOST:
        headline = f"Most of the gap: {first.title}. {first.detail}"
    else:
        headline = f"The largest cause found: {first.title}. {first.detail}"
    others = [c.title for c in causes[1:] if c.kind != "adaptation"]
    if others:
        headline += f" Also: {'; '.join(others)}."
    next_step = first.action
    if causes[-1].kind == "adaptation" and first.kind != "adaptation" and (first.share or 0.0) < MOST:
        next_step += f"; then adapt with the recommended recipe ({RECOMMENDED.label}) for the rest"
    if few:
        headline += f" {few}"
    return Verdict(headline, next_step, tuple(causes))
