"""The causes a verdict ranks, one constructor each: a :class:`Cause` with a title, a detail with its
numbers, the action and its share (:mod:`tlcore.explain.cause_ranking` says what the share is and how the
causes rank)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.commands import command_line
from tlcore.data.ink import with_ink
from tlcore.data.spec_edit import blank_dropped
from tlcore.explain.columns import ColumnDrift, Drift, set_aside
from tlcore.explain.evidence import (
    TRUE_LABELS,
    BlankImages,
    ClassMismatch,
    LabelShiftSummary,
    NoveltySummary,
)
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import Fix, FixCheck
from tlcore.explain.gap_shares import GapShares
from tlcore.explain.image_stats import BY_NAME
from tlcore.gap_level import GapLevel
from tlcore.metrics.prior_shift_words import tv_band_words
from tlcore.numbers import p_is, pct, significant

BRIDGE = "adaptation has to bridge it"  # the action of an appearance change no fix undoes
CauseKind = Literal[
    "blank", "appearance", "column", "new_classes", "missing_classes", "label_shift", "novelty", "adaptation"
]


@dataclass(frozen=True)
class Cause:
    """One ranked cause: ``title`` (a few words), ``detail`` (a sentence with numbers), ``action``
    (what to do), ``share`` (see :mod:`tlcore.explain.cause_ranking`; ``None`` for causes ranked
    without one) and, for appearance causes, the statistic and the shift. ``fix_specs`` maps each
    side a fix changes to the spec to load there (one side or both, as ``standardise``); a one-sided
    fix also keeps that side and spec in ``fix_side`` and ``fix_spec`` (``diagnose --json``'s older keys)."""

    kind: CauseKind
    title: str
    detail: str
    action: str
    share: float | None = None
    statistic: str | None = None
    shift: str | None = None
    fix_spec: str | None = None
    fix_side: Literal["source", "target"] | None = None
    fix_specs: Mapping[str, str] | None = None

    def describe_share(self) -> str:
        """``accounts for 19% of the gap``; empty when not measured."""
        return "" if self.share is None else f"accounts for {min(self.share, 1.0):.0%} of the gap"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def fix_words(self) -> str:
        """``source = spec, target = spec``: what applying the fix sets; empty without one."""
        return ", ".join(f"{side} = {spec}" for side, spec in (self.fix_specs or {}).items())


def with_fix(changes: Mapping[str, str]) -> dict[str, Any]:
    """A :class:`Cause`'s fix fields for ``changes`` (side -> spec): every side in ``fix_specs``, and
    ``fix_side``/``fix_spec`` too when there is one side."""
    one = next(iter(changes.items())) if len(changes) == 1 else (None, None)
    return {"fix_specs": dict(changes) or None, "fix_side": one[0], "fix_spec": one[1]}


def adapt_command(source_spec: str, target_spec: str, *, workspace: str | None = None) -> str:
    """The ``adapt`` command of the recommended recipe on the pair (:func:`~tlcore.commands.command_line`;
    an explanation is written without ``workspace``: :meth:`~tlcore.explain.result.Explanation.for_workspace`
    adds it where it is shown)."""
    words = ("adapt", "--source", source_spec, "--target", target_spec, "--recipe", RECOMMENDED.name)
    return command_line(*words, workspace=workspace)


@dataclass(frozen=True)
class GapPart:
    """A cause's share of the gap (``None``: not measured, see :mod:`tlcore.explain.gap_shares`) and
    the sentence that says how it was measured, or why not."""

    share: float | None
    words: str


def on(basis: str) -> str:
    return f" {basis}" if basis else ""


def mmd2_left(value: float, digits: int = 3) -> str:
    """An MMD² after a fix to ``digits`` significant digits (:func:`tlcore.numbers.significant`);
    unbiased MMD² at or below 0 (it can dip below) is ``≈ 0 (no gap left)``."""
    return "≈ 0 (no gap left)" if value <= 0 else significant(value, digits)


def gap_part(
    shares: GapShares | None,
    kind: str,
    how: str,
    after: float | None,
    *,
    basis: str = "",
    start: float | None = None,
) -> GapPart:
    """A cause's share of the gap once MMD² falls from ``start`` (default: the gap before any fix) to
    ``after`` with the cause removed ``how`` (:mod:`tlcore.explain.gap_shares`), measured ``basis``
    (:meth:`~tlcore.explain.settings.ExplainSettings.basis`); a rise is said, with share 0."""
    if shares is None:
        return GapPart(None, " Its share of the gap is not measured here.")
    start = shares.mmd2 if start is None else start
    share = shares.share(start, after)
    if share is None or after is None:
        why = shares.notes.get(kind, "nothing to remove it by")
        return GapPart(None, f" Its share of the gap is not measured ({why}).")
    measured = f" {how}, MMD² {start:.3g} -> {mmd2_left(after)}{on(basis)}"
    if after > start:  # removing it adds to the gap: say so, not a silent 0%
        rise = f" {how}, MMD² rises, {start:.3g} -> {mmd2_left(after)}{on(basis)}"
        return GapPart(0.0, f"{rise}: it accounts for none of the measured gap.")
    return GapPart(share, f"{measured}: it accounts for {pct(share)} of the gap.")


def blank_cause(blank: Sequence[BlankImages], part: GapPart, specs: Mapping[str, str]) -> Cause:
    """Blank images (no ink; no foreground on colour photos) on one side or both: a data problem,
    named first; drop them, with each side's spec (``specs``) plus ``blank=drop`` when every such side
    is named by a spec that does not drop them yet (the fix sets each such side)."""
    counts = " and ".join(f"{b.n_blank} of the {b.n_total} {b.side} images" for b in blank)
    drop = " and ".join(f"the {b.n_blank} blank {b.side} image{'s' * (b.n_blank != 1)}" for b in blank)
    fixes = [(b.side, blank_dropped(specs[b.side])) for b in blank]
    usable = all(spec is not None for _, spec in fixes)
    lack, having = blank[0].lacks, with_ink(blank[0].photos)  # "no ink", "images with ink"
    use = " and ".join(f"the {side} {spec}" for side, spec in fixes)
    return Cause(
        kind="blank",
        title="; ".join(f"{pct(b.share)} of the {b.side} images are blank" for b in blank),
        detail=f"{counts[0].upper()}{counts[1:]} are blank ({blank[0].words}), a problem of the data, "
        f"not of its look: every image statistic here is of the {having}, and the novel share of the "
        f"target's {having}.{part.words}",
        action=f"use {use} to drop {drop} ({lack}), then diagnose again"
        if usable
        else f"drop {drop} from the data ({lack}), then diagnose again",
        share=part.share,
        **with_fix({side: spec for side, spec in fixes if spec is not None and usable}),
    )


def fix_cause(
    finding: Finding, share: float, basis: str = "", labels: Mapping[str, str] | None = None
) -> Cause:
    """A helpful fix; its MMD² before and after are the check's, measured ``basis``; the statistics it
    also evens out named by ``labels`` (the findings' labels; default: each statistic's own)."""
    fix, check = finding.fix, finding.fix.check if finding.fix else None
    assert fix is not None and check is not None and fix.spec is not None  # only helpful fixes
    also = [(labels or {}).get(s, BY_NAME[s].label) for s in check.resolves if s != finding.statistic]
    effect = (
        "removes the gap (the test after it does not tell the sides apart)"
        if check.removes_gap
        else f"shrinks MMD² by {100 * check.shrinks_by:.0f}%"
    )
    detail = (
        f"{finding.message} {fix.words} {effect} "
        f"(MMD² {check.mmd2_before:.3g} -> {mmd2_left(check.mmd2_after)}{f' {basis}' if basis else ''})"
        + (f" and also evens out: {', '.join(also)}." if also else ".")
    )
    return Cause(
        kind="appearance",
        title=finding.title,
        detail=detail,
        action="use " + " and ".join(f"the {side} {spec}" for side, spec in fix.changes.items()),
        share=share,
        statistic=finding.statistic,
        shift=fix.shift,
        **with_fix(fix.changes),
    )


def combined_cause(fix: Fix, titles: Sequence[str], share: float, basis: str = "") -> Cause:
    """The helpful fixes applied together (a combined :class:`~tlcore.explain.fixes.Fix`, checked),
    the findings they undo named by ``titles``; MMD² and the novel share before and after are the
    check's, measured ``basis``."""
    check = fix.check
    assert check is not None and fix.parts  # only a checked combined fix
    effect = (
        "removes the gap (the test after it does not tell the sides apart)"
        if check.removes_gap
        else f"shrinks MMD² by {100 * check.shrinks_by:.0f}%"
    )
    novel = check.describe_novelty()
    detail = (
        f"Applied together, {fix.words} {effect} (MMD² {check.mmd2_before:.3g} -> "
        f"{mmd2_left(check.mmd2_after)}{f', novel target {novel}' if novel else ''}"
        f"{f' {basis}' if basis else ''}): more than any of them alone."
    )
    uses = " and ".join(f"the {side} {spec}" for side, spec in fix.changes.items())
    return Cause(
        kind="appearance",
        title=f"together, {' and '.join(titles)}",
        detail=detail,
        action=f"apply these fixes together: use {uses}",
        share=share,
        shift=",".join(p.shift for p in fix.parts),
        **with_fix(fix.changes),
    )


def label_shift_cause(summary: LabelShiftSummary, part: GapPart) -> Cause:
    known = summary.low is not None and summary.high is not None and summary.level is not None
    band = tv_band_words(summary.tv, (summary.low, summary.high), summary.level) if known else ""  # type: ignore[arg-type]
    how = f" ({summary.method})" if summary.method else ""
    counted = summary.method == TRUE_LABELS
    p = "" if summary.p_value is None else f" (p = {summary.p_value:.2g} against random splits of the labels)"
    return Cause(
        kind="label_shift",
        title="the class proportions moved",
        detail=f"{'Total' if counted else 'Estimated total'} variation between the class priors{how}: "
        f"{summary.tv:.2f}{band}{p}." + part.words,
        action="correct the priors: re-weight the classifier's outputs by the "
        + ("target's priors" if counted else "estimated target priors"),
        share=part.share,
    )


def new_classes_cause(classes: ClassMismatch, part: GapPart) -> Cause:
    names = ", ".join(classes.new)
    return Cause(
        kind="new_classes",
        title=f"the target has classes the source lacks ({names})",
        detail=f"{classes.n_new} of {classes.n_target} target samples are of classes the source has no "
        f"sample of ({', '.join(f'{k}: {n}' for k, n in classes.new.items())}); they were left out of "
        f"every number here, and no model trained on the source can classify them.{part.words}",
        action=f"label samples of {names} in the source (or collect them), or drop them from the target",
        share=part.share,
    )


def missing_classes_cause(classes: ClassMismatch, part: GapPart, shift: Cause | None = None) -> Cause:
    """Source classes the labelled target lacks; with the label ``shift`` cause too, one cause: missing
    classes are a label shift, so its evidence is folded in and the larger of the two shares counts."""
    names, share = ", ".join(classes.missing), sum(classes.missing.values())
    shares = [s for s in (part.share, None if shift is None else shift.share) if s is not None]
    also = "" if shift is None else f" As a label shift: {shift.detail[0].lower()}{shift.detail[1:]}"
    return Cause(
        kind="missing_classes",
        title=f"the target has no samples of source classes ({names})",
        detail=f"{100 * share:.0f}% of the source is of classes the labelled target has none of ({names}), "
        f"more than chance explains: the class proportions moved at least that much.{part.words}{also}",
        action=f"correct the priors (no target prior for {names}) or train without those classes",
        share=max(shares, default=None),
    )


def column_cause(column: Drift, shares: GapShares, basis: str, *, checked: int = 0) -> Cause:
    """A drifted column of feature vectors, by its share of the gap with it matched to the source's
    mean and spread (:func:`tlcore.explain.columns.matched`) on top of the columns ranked before it
    (:mod:`tlcore.explain.gap_shares`); ``checked`` > 1: also what the checked
    drifted columns account for matched together (what adaptation is left at most). Unchecked (no
    gap to share, :func:`tlcore.explain.cause_ranking.column_causes`): its share not measured, and why. A
    text column's mix (:mod:`tlcore.explain.text_drift`) is a population shift, not a fault upstream:
    its :attr:`~tlcore.explain.text_drift.TextDrift.action`."""
    if column.mmd2_after is None:  # none checked: the fix check saw no gap on its PCA of every column
        detail = (
            f"{column.message} Its share of the gap was not measured: MMD²{on(basis)} is at most 0, and "
            f"a PCA of all {len(shares.columns)} columns can miss a few that moved."
        )
    else:
        detail = _column_share(column, shares, basis, checked)
    action = (
        f"check how {column.name} is produced upstream (its units, calibration, the pipeline that "
        "writes it) and correct it there"
        if isinstance(column, ColumnDrift)
        else column.action
    )
    return Cause(kind="column", title=column.title, detail=detail, action=action, share=column.share)


def _column_share(column: Drift, shares: GapShares, basis: str, checked: int) -> str:
    """A checked column's detail: what matching it removes of the gap (:func:`column_cause`)."""
    before = shares.mmd2 if column.mmd2_before is None else column.mmd2_before
    also = f" (with {', '.join(column.matched_before)} matched too)" if column.matched_before else ""
    detail = (
        f"{column.message} {column.removal}{also}, MMD² {before:.3g} -> {mmd2_left(column.mmd2_after)}"
        f"{on(basis)}: it accounts for {pct(column.share or 0.0)} of the gap."
    )
    together = shares.columns_share
    if checked > 1 and together is not None and shares.columns_together is not None:
        aside = [c.name for c in set_aside(shares.columns)]
        also = f" (and {', '.join(aside)}, set aside)" if aside else ""
        detail += (
            f" The {checked} checked drifted columns matched together{also}: MMD² -> "
            f"{mmd2_left(shares.columns_together)}, {pct(together)} of the gap."
        )
    return detail


def row_number_cause(column: ColumnDrift) -> Cause:
    """A drifted column that counts rows on both sides (:func:`tlcore.explain.columns.set_aside`): no
    share of the gap, and the advice to make it the sample id (the first column called ``id`` is no
    feature: :mod:`tlcore.data.tables`), saying why it has no share."""
    action = (
        f"{column.name} looks like a row number (a different whole number in every row), so it is left "
        "out of the shares of the gap: if it is an identifier, rename it id (or sample_id) so it is not "
        "learned from"
    )
    detail = (
        f"{column.message} It counts rows on both sides, so it has no share of the gap: a running number "
        "tells any two files apart, and only dropping it removes that (matched first, before the columns "
        "ranked)."
    )
    return Cause(kind="column", title=column.title, detail=detail, action=action, share=None)


def novelty_cause(
    novelty: NoveltySummary,
    part: GapPart,
    check: FixCheck | None = None,
    fix: str = "",
    basis: str = "",
    *,
    of: str = "",
) -> Cause:
    """Part of the target is new: as measured before any fix, or still after ``fix`` (its ``check``,
    measured ``basis``); ``of`` what the share is (default: the target samples)."""
    latest = novelty if check is None or check.novelty_after is None else check.novelty_after
    p = "" if latest.p_value is None else f" ({p_is(latest.p_value)} against chance)"
    still = ""
    if check is not None and check.novelty_before is not None:
        where = basis or "on the fix check's samples"
        still = (
            f", and {pct(latest.share)} still have none after {fix} "
            f"({pct(check.novelty_before.share)} before it, {where})"
        )
    return Cause(
        kind="novelty",
        title="part of the target is new",
        detail=f"{pct(novelty.share)} of {of or 'the target samples'} have no source neighbour{still}{p}; no "
        f"adaptation maps them safely.{part.words}",
        action="collect labels there: label a few of those target samples and fine-tune (method finetune)",
        share=part.share,
    )


def unfixed_cause(finding: Finding) -> Cause:
    if finding.fix is None:
        why = "no registered shift undoes it"
    else:
        why = finding.fix.note or "its fix did not shrink the gap"
    return Cause(
        kind="appearance",
        title=finding.title,
        detail=f"{finding.message.rstrip('.')} ({why.rstrip('.')}).",  # not "blurrier. (no registered …)"
        action=BRIDGE,
        statistic=finding.statistic,
        shift=None if finding.fix is None else finding.fix.shift,
    )


def adaptation_cause(
    level: GapLevel,
    coverage: str,
    alone: bool,
    source_spec: str,
    target_spec: str,
    *,
    rest: float | None = None,
) -> Cause:
    """What adaptation is left: the ``level`` gap, or with ``rest`` (one minus the largest measured
    share: shares overlap, so the causes above leave at most that) the rest of it."""
    size = f"a {level} gap" if rest is None else f"the rest of the gap (at most {pct(rest)})"
    detail = (
        f"{coverage[0].upper()}{coverage[1:]}"
        if alone
        else f"{size[0].upper()}{size[1:]} remains beyond the causes above; {coverage}"
    )
    return Cause(
        kind="adaptation",
        title=f"{size} that adaptation should close",
        detail=f"{detail}.",
        action=f"adapt with the recommended recipe ({RECOMMENDED.label}): "
        + adapt_command(source_spec, target_spec),
    )
