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
  between the class priors);
* label shift (:class:`~tlcore.explain.evidence.LabelShiftSummary`), from :data:`LABEL_SHIFT_MIN`
  estimated total variation between the class priors;
* new regions, when the novel share is significantly above chance
  (:class:`~tlcore.explain.evidence.NoveltySummary` ``new``) and at least :data:`NOVELTY_MIN` of the
  target has no source neighbour. An appearance change alone moves every sample away from the source,
  so fix checks re-measure it (:func:`novelty_fix`): after the helpful fix that leaves the least, it
  stays a cause (its share measured after that fix) only if still new and at least
  :data:`NOVELTY_MIN`. When no check can tell, the share before any fix counts, unless a fix
  removes at least :data:`MOST` of the gap.

These rank by share, largest first; a cause whose share could not be measured (no labels, too few
samples: :mod:`~tlcore.explain.gap_shares`) follows the measured ones and says why. When the gap is
not ``none`` and no fix removes it (the test after the fix finds none), strong findings that no
helpful fix explains follow (by their standardised difference), then the rest of the gap for
adaptation with the recommended recipe (:data:`tlcore.adapt.recipe.RECOMMENDED`), which is the first
cause when nothing else is found. With no detectable gap the headline says so first; with fewer than
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
from tlcore.explain.evidence import ClassMismatch, LabelShiftSummary, NoveltySummary
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix
from tlcore.explain.gap_shares import GapShares

LABEL_SHIFT_MIN = 0.1  # total variation between class priors from which label shift is a cause
NOVELTY_MIN = 0.05  # share of target samples without source neighbours from which they are a cause
MOST = 0.5  # a cause with at least this share explains "most of the gap"
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


def _part(
    shares: GapShares | None,
    kind: str,
    how: str,
    after: float | None,
    before: float | None = None,
    *,
    basis: str = "",
) -> GapPart:
    """A cause's share of the gap once MMD² falls from ``before`` (default the gap before any fix) to
    ``after`` with the cause removed ``how`` (:mod:`tlcore.explain.gap_shares`), measured ``basis``
    (:meth:`~tlcore.explain.settings.ExplainSettings.basis`)."""
    if shares is None:
        return GapPart(None, " Its share of the gap is not measured here.")
    start = shares.mmd2 if before is None else before
    share = shares.share(start, after)
    if share is None or after is None:
        why = shares.notes.get(kind, "nothing to remove it by")
        return GapPart(None, f" Its share of the gap is not measured ({why}).")
    return GapPart(
        share,
        f" {how}, MMD² {start:.3g} -> {after:.3g}{_on(basis)}: it accounts for {pct(share)} of the gap.",
    )


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
        how = f"Without the novel target samples beyond chance after {words}"
        part = _part(shares, "novelty", how, check.mmd2_after_covered, check.mmd2_after, basis=basis)
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
    if classes is not None and classes.missing:
        after = None if shares is None else shares.missing_classes
        part = _part(shares, "missing_classes", "Drawing the source without them", after, basis=basis)
        shared.append(missing_classes_cause(classes, part))
    if label_shift is not None and label_shift.tv >= LABEL_SHIFT_MIN:
        after = None if shares is None else shares.label_shift
        how = "Drawing the source to the estimated target priors"
        part = _part(shares, "label_shift", how, after, basis=basis)
        shared.append(label_shift_cause(label_shift, part))
    if coverage.cause is not None:
        shared.append(coverage.cause)
    shared.sort(key=lambda c: (c.share is None, -(c.share or 0.0)))  # measured first, stable
    if level == "none" or removed:  # no gap left for adaptation to bridge
        return shared, coverage.sentence
    unfixed = sorted(
        (f for f in findings if f.severity == "strong" and f.statistic not in resolved),
        key=lambda f: -abs(f.difference),
    )
    causes = [*shared, *(unfixed_cause(f) for f in unfixed)]
    adapt = adaptation_cause(level, coverage.sentence, not causes, source_spec, target_spec)
    return [*causes, adapt], coverage.sentence


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
    shares: GapShares | None = None,
    basis: str = "",
) -> Verdict:
    """The ranked causes (:func:`rank_causes`) read as one headline and the next step; ``samples``
    (source, target) adds a note when a side is too small for the tests to tell. The headline's first
    cause is the largest *measured* one; causes without a share (no fix or removal measured one) are
    named apart."""
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
        headline = _no_cause(findings)
        if few:
            return Verdict(
                f"{headline} {few}",
                f"collect at least {MIN_POWER} samples per side, diagnose again",
                (),
                coverage,
            )
        return Verdict(headline, "nothing to do", (), coverage)
    first = causes[0]
    if level == "none":
        headline = "No detectable gap (the MMD test does not tell the domains apart), yet: "
        headline += f"{first.title}. {first.detail}"
    elif first.kind == "adaptation":
        headline = f"A {level} gap with no single cause found: {first.detail[0].lower()}{first.detail[1:]}"
    elif first.share is not None and first.share >= MOST:
        headline = f"Most of the gap: {first.title}. {first.detail}"
    elif first.share is None:
        headline = f"A cause found, its share of the gap not measured: {first.title}. {first.detail}"
    else:
        headline = f"The largest measured cause: {first.title}. {first.detail}"
    others = [c for c in causes[1:] if c.kind != "adaptation"]
    measured = [c.title for c in others if c.share is not None]
    unmeasured = [c.title for c in others if c.share is None]
    if measured:
        headline += f" Also: {'; '.join(measured)}."
    if unmeasured:
        headline += (
            " Also found, with no share of the gap measured (no checked fix or removal to measure it "
            f"by): {'; '.join(unmeasured)}."
        )
    next_step = first.action
    if causes[-1].kind == "adaptation" and first.kind != "adaptation" and (first.share or 0.0) < MOST:
        next_step += f"; then adapt with the recommended recipe ({RECOMMENDED.label}) for the rest"
    if few:
        headline += f" {few}"
    return Verdict(headline, next_step, tuple(causes), coverage)
