"""The verdict: the causes of a gap, ranked (:mod:`tlcore.explain.cause_ranking`: their shares and
order), in plain words, and what to do next.

With no detectable gap the headline says so first (or that the gap is only with the target classes the
source lacks); with fewer than :data:`tlcore.gap_level.MIN_POWER` samples on a side it says the test
could not tell; when every image of a side is blank, that is the whole verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from tlcore.adapt.recipe import RECOMMENDED
from tlcore.explain.cause_ranking import Evidence, a_new_look, foreign_target, ranked_causes
from tlcore.explain.causes import BRIDGE, Cause, pct
from tlcore.explain.columns import set_aside
from tlcore.explain.findings import Finding
from tlcore.explain.headline import COPIES_STEP, MOST, SHARE_FLOOR, copies_first, first_words, no_cause
from tlcore.gap_level import MIN_POWER, GapLevel, low_power_note

FEW_STEP = f"collect at least {MIN_POWER} samples per side, diagnose again"  # too few to tell
OVERLAP = (
    " Each share is measured with only that cause removed (a column: with the columns named before it"
    " matched too), so shares overlap and need not add up."
)


@dataclass(frozen=True)
class Verdict:
    """The ranked causes and one plain-words reading: ``headline`` (what explains the gap) and
    ``next_step`` (:func:`next_step`); ``coverage`` how it reads the target's novel share (the
    diagnosis's advice on it defers to this when novelty is no cause); ``folded`` when that reads it
    as part of the best fix; ``elsewhere`` when it reads the fix checks' novel share, not the
    diagnosis's (:attr:`~tlcore.explain.novelty_reading.Coverage.elsewhere`)."""

    headline: str
    next_step: str
    causes: tuple[Cause, ...]
    coverage: str = ""
    folded: bool = False
    elsewhere: bool = False

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


def verdict(
    findings: Sequence[Finding],
    level: GapLevel,
    *,
    samples: tuple[int, int] | None = None,
    copied: tuple[int, int] | None = None,
    **evidence: Unpack[Evidence],
) -> Verdict:
    """The ranked causes (:func:`~tlcore.explain.cause_ranking.rank_causes`) read as one headline and
    the next step; ``samples`` (source, target) adds a note when a side is too small for the tests to
    tell, ``copied`` the overlap first (:func:`~tlcore.explain.headline.copies_first`). The headline's first
    cause is the largest *measured* one (blank images aside, which come first); the other measured
    ones follow after "Also:", each with its share; causes without a share (no fix or removal
    measured one) are named apart. When every image of a side is blank there is
    nothing to adapt, and that is the verdict."""
    empty = [b.side for b in evidence.get("blank", ()) if b.every]
    if empty:
        sides = " and ".join(empty)
        return Verdict(
            f"Every {sides} image is blank ({evidence['blank'][0].lacks}): there is "
            "nothing to adapt, the images are empty.",
            f"check the {sides} data: its images hold nothing",
            (),
        )
    causes, read = ranked_causes(findings, level, **evidence)
    coverage, folded, elsewhere = read.sentence, read.folded, read.elsewhere
    novelty = evidence.get("novelty")
    few = low_power_note(*samples) if samples is not None else ""
    if not causes:
        plain = no_cause(findings)
        headline = copies_first(plain, copied)
        step = "nothing to do" if headline == plain else COPIES_STEP
        if few:
            return Verdict(f"{headline} {few}", FEW_STEP, (), coverage, folded, elsewhere)
        return Verdict(headline, step, (), coverage, folded, elsewhere)
    first = causes[0]
    headline = first_words(first, level, foreign_target(novelty) and not a_new_look(causes), causes[1:])
    headline = copies_first(headline, copied)
    others = [c for c in causes[1:] if c.kind != "adaptation"]
    if first.kind == "blank" and (first.share or 0.0) < SHARE_FLOOR:  # the data first, then the gap's
        largest = max(others, key=lambda c: c.share or 0.0, default=None)
        if largest is not None and (largest.share or 0.0) >= SHARE_FLOOR:
            headline += (
                f" The largest measured cause: {largest.title} ({pct(largest.share or 0.0)} of the gap)."
            )
            others.remove(largest)
    measured = [f"{c.title} ({pct(min(c.share, 1.0))} of the gap)" for c in others if c.share is not None]
    unmeasured = [c.title for c in others if c.share is None and c.kind != "column"]
    shares = evidence.get("shares")  # row numbers set aside say so in their action, not here
    aside = {c.title for c in set_aside(shares.columns)} if shares is not None else set()
    columns = [c.title for c in others if c.share is None and c.kind == "column" and c.title not in aside]
    if measured:
        headline += f" Also: {'; '.join(measured)}."
    if unmeasured:
        headline += (
            " Also found, with no share of the gap measured (no helpful fix or removal to measure it "
            f"by): {'; '.join(unmeasured)}."
        )
    if columns:
        headline += f" Also drifted, their shares not measured either: {'; '.join(columns)}."
    if sum(c.share is not None and c.share >= SHARE_FLOOR for c in causes) > 1:
        headline += OVERLAP
    if few:
        headline += f" {few}"
    return Verdict(headline, next_step(causes), tuple(causes), coverage, folded, elsewhere)


def next_step(causes: Sequence[Cause]) -> str:
    """The first cause's action, then adapting for the rest when adaptation is left to close some of
    the gap and the first removes less than :data:`~tlcore.explain.headline.MOST` of it. A change no
    fix undoes (:data:`~tlcore.explain.causes.BRIDGE`) is the adaptation's to close: its action alone
    (QA: "adaptation has to bridge it; then adapt ..."); blank images are dropped, then diagnosed
    again, which names what is left."""
    first = causes[0]
    adaptation = next((c for c in causes if c.kind == "adaptation"), None)
    if adaptation is None or first.kind in ("adaptation", "blank") or (first.share or 0.0) >= MOST:
        return first.action
    if first.action == BRIDGE:
        return adaptation.action
    return f"{first.action}; then adapt with the recommended recipe ({RECOMMENDED.label}) for the rest"
