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

import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.diagnosis import MIN_POWER, GapLevel, low_power_note
from tlcore.explain.evidence import ClassMismatch, LabelShiftSummary, NoveltySummary
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix, FixCheck

CauseKind = Literal["appearance", "new_classes", "missing_classes", "label_shift", "novelty", "adaptation"]
LABEL_SHIFT_MIN = 0.1  # total variation between class priors from which label shift is a cause
NOVELTY_MIN = 0.05  # share of target samples without source neighbours from which they are a cause
MOST = 0.5  # a cause with at least this share explains "most of the gap"
_FEW = f"fewer than the {NOVELTY_MIN:.0%} from which new data is a cause"


@dataclass(frozen=True)
class Cause:
    """One ranked cause: ``title`` (a few words), ``detail`` (a sentence with numbers), ``action``
    (what to do), ``share`` (see the module docstring; ``None`` for causes ranked without one) and,
    for appearance causes, the statistic, the shift and the fix spec of the side to change."""

    kind: CauseKind
    title: str
    detail: str
    action: str
    share: float | None = None
    statistic: str | None = None
    shift: str | None = None
    fix_spec: str | None = None
    fix_side: Literal["source", "target"] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _adapt_command(source_spec: str, target_spec: str) -> str:
    return (
        f"python -m tlcore adapt --source {shlex.quote(source_spec)} "
        f"--target {shlex.quote(target_spec)} --recipe {RECOMMENDED.name}"
    )


def _fix_cause(finding: Finding) -> Cause:
    fix, check = finding.fix, finding.fix.check if finding.fix else None
    assert fix is not None and check is not None and fix.spec is not None  # only helpful fixes
    also = [s for s in check.resolves if s != finding.statistic]
    effect = (
        "removes the gap (the test after it does not tell the sides apart)"
        if check.removes_gap
        else f"shrinks MMD² by {100 * check.shrinks_by:.0f}%"
    )
    detail = (
        f"{finding.message} {fix.shift}={fix.value:g} on the {fix.side} {effect} "
        f"(MMD² {check.mmd2_before:.3g} -> {check.mmd2_after:.3g})"
        + (f" and also evens out: {', '.join(also)}." if also else ".")
    )
    return Cause(
        kind="appearance",
        title=finding.title,
        detail=detail,
        action=f"use the {fix.side} {fix.spec}",
        share=check.shrinks_by,
        statistic=finding.statistic,
        shift=fix.shift,
        fix_spec=fix.spec,
        fix_side=fix.side,
    )


def _label_shift_cause(summary: LabelShiftSummary) -> Cause:
    band = (
        f" [{summary.low:.2f}, {summary.high:.2f}]"
        if summary.low is not None and summary.high is not None
        else ""
    )
    how = f" ({summary.method})" if summary.method else ""
    return Cause(
        kind="label_shift",
        title="the class proportions moved",
        detail=f"Estimated total variation between the class priors{how}: {summary.tv:.2f}{band}.",
        action="correct the priors: re-weight the classifier's outputs by the estimated target priors",
        share=summary.tv,
    )


def _new_classes_cause(classes: ClassMismatch) -> Cause:
    names = ", ".join(classes.new)
    return Cause(
        kind="new_classes",
        title=f"the target has classes the source lacks ({names})",
        detail=f"{classes.n_new} of {classes.n_target} target samples are of classes the source has no "
        f"sample of ({', '.join(f'{k}: {n}' for k, n in classes.new.items())}); they were left out of "
        "every number here, and no model trained on the source can classify them.",
        action=f"label samples of {names} in the source (or collect them), or drop them from the target",
        share=classes.n_new / classes.n_target,
    )


def _missing_classes_cause(classes: ClassMismatch) -> Cause:
    names, share = ", ".join(classes.missing), sum(classes.missing.values())
    return Cause(
        kind="missing_classes",
        title=f"the target has no samples of source classes ({names})",
        detail=f"{100 * share:.0f}% of the source is of classes the labelled target has none of ({names}), "
        "more than chance explains: the class proportions moved at least that much.",
        action=f"correct the priors (no target prior for {names}) or train without those classes",
        share=share,
    )


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _novelty_cause(novelty: NoveltySummary, check: FixCheck | None = None, fix: str = "") -> Cause:
    """Part of the target is new: as measured before any fix, or still after ``fix`` (its ``check``)."""
    latest = novelty if check is None or check.novelty_after is None else check.novelty_after
    p = "" if latest.p_value is None else f" (p = {latest.p_value:.3g} against chance)"
    still = ""
    if check is not None and check.novelty_before is not None:
        still = (
            f", and {_pct(latest.share)} still have none after {fix} "
            f"({_pct(check.novelty_before.share)} before it on the check's samples)"
        )
    return Cause(
        kind="novelty",
        title="part of the target is new",
        detail=f"{_pct(novelty.share)} of the target samples have no source neighbour{still}{p}; no "
        "adaptation maps them safely.",
        action="collect labels there: label a few of those target samples and fine-tune (method finetune)",
        share=latest.share,
    )


def _unfixed_cause(finding: Finding) -> Cause:
    if finding.fix is None:
        why = "no registered shift undoes it"
    else:
        why = finding.fix.note or "its fix did not shrink the gap"
    return Cause(
        kind="appearance",
        title=finding.title,
        detail=f"{finding.message} ({why}.)",
        action="adaptation has to bridge it",
        statistic=finding.statistic,
        shift=None if finding.fix is None else finding.fix.shift,
    )


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
    before, now = _pct(check.novelty_before.share), _pct(left.share)
    if left.new and left.share >= NOVELTY_MIN:
        sentence = f"{now} of the target has no source neighbour even after {words} (a cause above)"
        return _Coverage(_novelty_cause(novelty, check, words), None, sentence)
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
    share = _pct(novelty.share)
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
    return _Coverage(_novelty_cause(novelty), None, sentence)


def _adaptation_cause(
    level: GapLevel, coverage: str, alone: bool, source_spec: str, target_spec: str
) -> Cause:
    detail = (
        f"{coverage[0].upper()}{coverage[1:]}"
        if alone
        else f"A {level} gap remains beyond the causes above; {coverage}"
    )
    return Cause(
        kind="adaptation",
        title=f"a {level} gap that adaptation should close",
        detail=f"{detail}.",
        action=f"adapt with the recommended recipe ({RECOMMENDED.label}): "
        + _adapt_command(source_spec, target_spec),
    )


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
    shared = [_fix_cause(f) for f in accepted]
    removed = any(f.fix.check.removes_gap for f in accepted)  # type: ignore[union-attr]
    explained = any((c.share or 0.0) >= MOST for c in shared)
    coverage = _read_coverage(novelty, findings, accepted, explained)
    if coverage.note is not None:
        i, note = coverage.note
        shared[i] = replace(shared[i], detail=shared[i].detail + note)
    if classes is not None and classes.new:
        shared.append(_new_classes_cause(classes))
    if classes is not None and classes.missing:
        shared.append(_missing_classes_cause(classes))
    if label_shift is not None and label_shift.tv >= LABEL_SHIFT_MIN:
        shared.append(_label_shift_cause(label_shift))
    if coverage.cause is not None:
        shared.append(coverage.cause)
    shared.sort(key=lambda c: -(c.share or 0.0))
    if level == "none" or removed:  # no gap left for adaptation to bridge
        return shared
    unfixed = sorted(
        (f for f in findings if f.severity == "strong" and f.statistic not in resolved),
        key=lambda f: -abs(f.difference),
    )
    causes = [*shared, *(_unfixed_cause(f) for f in unfixed)]
    return [*causes, _adaptation_cause(level, coverage.sentence, not causes, source_spec, target_spec)]


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
