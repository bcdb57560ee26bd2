"""The verdict's headline: how it reads its first cause, and what it says when there is none."""

from __future__ import annotations

from collections.abc import Sequence

from tlcore.data.overlap import of_target
from tlcore.diagnosis import GapReport, describe_gap
from tlcore.explain.causes import Cause
from tlcore.explain.findings import Finding
from tlcore.gap_level import GapLevel

MOST = 0.5  # a cause with at least this share explains "most of the gap"
SHARE_FLOOR = 0.05  # a cause with a smaller share does not account for the measured gap
COPIED = 0.25  # from this share of the target copying source samples, the verdict says so first
NO_GAP = "No detectable gap"  # how a headline that finds no gap opens
NOTHING = ": nothing to fix."  # how a headline that finds no cause ends
COPIES_STEP = "remove the target's copies of source samples, then diagnose again"  # no cause but copies


def first_words(first: Cause, level: GapLevel, foreign: bool, others: Sequence[Cause] = ()) -> str:
    """The headline's reading of the ``first`` cause (``foreign``: most of the target is new). With
    no detectable gap and target classes the source lacks first, the gap is "only with" them unless
    one of the ``others`` accounts for :data:`SHARE_FLOOR` of it too (QA: a blur fix taking MMD² on
    the shared classes to 0 beside "the gap exists only with the target's classes"). A detail that
    opens with the cause's title stands for both."""
    share = first.share
    shared_too = any((c.share or 0.0) >= SHARE_FLOOR for c in others if c.kind != "adaptation")
    if level == "none" and first.kind == "new_classes" and (share or 0.0) >= SHARE_FLOOR and not shared_too:
        lead = (
            f"{NO_GAP} on the classes both sides have; the gap exists only with the target's "
            "classes the source lacks, which were dropped:"
        )
    elif level == "none":
        lead = f"{NO_GAP} (neither the MMD test nor the domain classifier tells the domains apart), yet:"
    elif first.kind == "blank":
        lead = "First, the data:"
    elif first.kind == "novelty" and foreign:
        return f"Most of the target is new data, not a new look of the source's: {first.detail}"
    elif first.kind == "adaptation":
        return f"A {level} gap with no single cause found: {first.detail[0].lower()}{first.detail[1:]}"
    elif share is not None and share >= MOST:
        lead = "Most of the gap:"
    elif share is None:
        lead = "A cause found, its share of the gap not measured:"
    else:
        lead = "The largest measured cause:"
    if first.detail.lower().startswith(first.title.lower()):  # said once, not twice
        return f"{lead} {first.detail[0].lower()}{first.detail[1:]}"
    return f"{lead} {first.title}. {first.detail}"


def no_cause(findings: Sequence[Finding]) -> str:
    """The headline when there is no detectable gap and no cause."""
    if not findings:
        return f"{NO_GAP} and no other cause found{NOTHING}"
    firing = [f.title for f in findings if f.fires]
    if firing:
        return (
            f"{NO_GAP}: the images differ ({'; '.join(firing)}), but not enough for either test "
            f"to tell the domains apart{NOTHING}"
        )
    return f"{NO_GAP} and nothing in the images differs{NOTHING}"


def copies_first(headline: str, copied: tuple[int, int] | None) -> str:
    """``headline`` led by the overlap when ``copied`` (the target samples that are copies of source
    samples, found by content, and the target's samples) is at least :data:`COPIED` of the target, or
    any share when the headline finds no gap: a gap measured between source samples and their copies
    is smaller than the real target's (:mod:`tlcore.data.overlap`). A headline that ends
    :data:`NOTHING` then reads ``With them, no detectable gap ...``: the copies are still to fix."""
    if copied is None or not copied[0]:
        return headline
    copies, n = copied
    if copies < COPIED * n and not headline.startswith(NO_GAP):
        return headline
    count = of_target(copies, n)
    what, them = (
        ("is a copy of a source sample", "it") if copies == 1 else ("are copies of source samples", "them")
    )
    if headline.startswith(NO_GAP) and headline.endswith(NOTHING):  # not nothing: the copies are to fix
        headline = f"With {them}, {headline[:1].lower()}{headline[1 : -len(NOTHING)]}."
    return (
        f"{count[:1].upper()}{count[1:]} {what}: the gap measured here is smaller than the real target's; "
        f"remove {them} first. {headline}"
    )


def gap_reading(report: GapReport, per_class: bool, copied: tuple[int, int] | None) -> tuple[str, bool]:
    """The gap's reading (:func:`~tlcore.diagnosis.describe_gap`, ``per_class`` as it takes it) led by
    the target's ``copied`` samples as the verdict's headline is (:func:`copies_first`: a gap measured
    against copies), and whether they lead it."""
    plain = describe_gap(report, per_class)
    led = copies_first(plain, copied)
    return led, led != plain
