"""The verdict: the causes of a gap, ranked, in plain words, and what to do next.

Causes and their *share*, the part of the gap or of the data each one accounts for, in [0, 1]:

* an appearance finding whose checked fix helps (:mod:`tlcore.explain.fixes`): the share of MMD²
  the fix removes; a helpful fix whose finding a higher-ranked fix already resolves is folded into
  that one;
* label shift (:class:`LabelShiftSummary`), from :data:`LABEL_SHIFT_MIN` total variation: the
  estimated total variation between the class priors, the share of probability mass that moved;
* new regions, from :data:`NOVELTY_MIN`: the share of target samples with no source neighbour.

These rank by share, largest first. Then come strong findings that no helpful fix explains (by
their standardised difference; no registered shift undoes them), then, when the gap is not
``none``, the rest of the gap for adaptation with the recommended recipe
(:data:`tlcore.adapt.recipe.RECOMMENDED`), which is the first cause when nothing else is found.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.diagnosis import GapLevel
from tlcore.explain.findings import Finding
from tlcore.metrics.prior_shift import LabelShiftEstimate

CauseKind = Literal["appearance", "label_shift", "novelty", "adaptation"]
LABEL_SHIFT_MIN = 0.1  # total variation between class priors from which label shift is a cause
NOVELTY_MIN = 0.05  # share of target samples without source neighbours from which they are a cause
MOST = 0.5  # a cause with at least this share explains "most of the gap"


@dataclass(frozen=True)
class LabelShiftSummary:
    """What the verdict needs from a label-shift estimate made without target labels: ``tv``, the
    estimated total variation ``0.5 sum_c |p_s(c) - p_t(c)|`` between source and target class
    priors, its confidence band ``[low, high]`` when known, and the estimator (``"bbse"``, ``"em"``)."""

    tv: float
    low: float | None = None
    high: float | None = None
    method: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, estimate: LabelShiftEstimate) -> LabelShiftSummary | None:
        """The headline estimate of :func:`tlcore.metrics.prior_shift.estimate_label_shift`, or None
        when EM and BBSE disagree (a covariate shift: neither is to be trusted)."""
        if not estimate.consistent:
            return None
        head = estimate.headline
        low, high = head.tv_band or (None, None)
        return cls(head.tv, low, high, head.estimator)


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
    detail = (
        f"{finding.message} {fix.shift}={fix.value:g} on the {fix.side} shrinks MMD² by "
        f"{-100 * check.relative_change:.0f}% ({check.mmd2_before:.3g} -> {check.mmd2_after:.3g})"
        + (f" and also evens out: {', '.join(also)}." if also else ".")
    )
    return Cause(
        kind="appearance",
        title=finding.title,
        detail=detail,
        action=f"use the {fix.side} {fix.spec}",
        share=min(1.0, -check.relative_change),  # unbiased MMD² after may dip below 0
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


def _novelty_cause(share: float) -> Cause:
    return Cause(
        kind="novelty",
        title="part of the target is new",
        detail=f"{100 * share:.0f}% of the target samples have no source neighbour; no adaptation maps "
        "them safely.",
        action="collect labels there: label a few of those target samples and fine-tune (method finetune)",
        share=share,
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


def _adaptation_cause(
    level: GapLevel, novelty_share: float | None, source_spec: str, target_spec: str
) -> Cause:
    covered = (
        "the target is covered by the source"
        if novelty_share is not None
        else "how well the source covers the target is not measured here"
    )
    return Cause(
        kind="adaptation",
        title=f"a {level} gap that adaptation should close",
        detail=f"A {level} gap remains beyond the causes above; {covered}.",
        action=f"adapt with the recommended recipe ({RECOMMENDED.label}): "
        + _adapt_command(source_spec, target_spec),
    )


def rank_causes(
    findings: Sequence[Finding],
    level: GapLevel,
    *,
    source_spec: str,
    target_spec: str,
    label_shift: LabelShiftSummary | None = None,
    novelty_share: float | None = None,
) -> list[Cause]:
    """Every cause in the order of the module docstring."""
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
    shared = [_fix_cause(f) for f in accepted]
    if label_shift is not None and label_shift.tv >= LABEL_SHIFT_MIN:
        shared.append(_label_shift_cause(label_shift))
    if novelty_share is not None and novelty_share >= NOVELTY_MIN:
        shared.append(_novelty_cause(novelty_share))
    shared.sort(key=lambda c: -(c.share or 0.0))
    unfixed = sorted(
        (f for f in findings if f.severity == "strong" and f.statistic not in resolved),
        key=lambda f: -abs(f.difference),
    )
    causes = shared + [_unfixed_cause(f) for f in unfixed]
    if level != "none":
        causes.append(_adaptation_cause(level, novelty_share, source_spec, target_spec))
    return causes


def verdict(
    findings: Sequence[Finding],
    level: GapLevel,
    *,
    source_spec: str,
    target_spec: str,
    label_shift: LabelShiftSummary | None = None,
    novelty_share: float | None = None,
) -> Verdict:
    """The ranked causes (:func:`rank_causes`) read as one headline and the next step."""
    causes = rank_causes(
        findings,
        level,
        source_spec=source_spec,
        target_spec=target_spec,
        label_shift=label_shift,
        novelty_share=novelty_share,
    )
    if not causes:
        return Verdict(
            "No detectable gap and nothing in the images differs: nothing to fix.", "nothing to do", ()
        )
    first = causes[0]
    if first.kind == "adaptation":
        headline = f"A {level} gap with no single cause found: {first.detail}"
    elif first.share is not None and first.share >= MOST:
        headline = f"Most of the gap: {first.title}. {first.detail}"
    else:
        headline = f"The largest cause found: {first.title}. {first.detail}"
    others = [c.title for c in causes[1:] if c.kind != "adaptation"]
    if others:
        headline += f" Also: {'; '.join(others)}."
    next_step = first.action
    if first.kind != "adaptation" and (first.share or 0.0) < MOST and level != "none":
        next_step += f"; then adapt with the recommended recipe ({RECOMMENDED.label}) for the rest"
    return Verdict(headline, next_step, tuple(causes))
