"""How the verdict reads the target's novel share: a cause of its own (new regions), or covered once a
fix is applied, or too small to count (:mod:`tlcore.explain.cause_ranking` ranks what this reads).

New regions are a cause when the novel share is significantly above chance
(:class:`~tlcore.explain.evidence.NoveltySummary` ``new``) and at least :data:`NOVELTY_MIN` of the
target has no source neighbour. An appearance change alone moves every sample away from the source, so
fix checks re-measure it (:func:`novelty_fix`): after the helpful fix that leaves the least (the helpful
fixes applied together among them when they :func:`explain more <explains_more>` than the best alone:
a target both rotated and inverted is a new look only once both are undone), it stays a
cause (its share measured after that fix) only if still new and at least :data:`NOVELTY_MIN`, its
share then measured before any fix like every other cause's. When no check can tell, the share before
any fix counts, unless a fix removes at least :data:`~tlcore.explain.headline.MOST` of the gap (then
it is folded into that fix: diagnose again once that is done). With blank images a cause, the novel share read
is that of the target's images with ink, measured before any fix (the fix checks' novel shares count
the blank images). After a fix, and with blank images a cause, the share read is thus the fix checks'
(raw features of their samples), not the diagnosis's (its features, every sample):
:attr:`Coverage.elsewhere` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tlcore.data.ink import with_ink
from tlcore.explain.causes import Cause, gap_part, novelty_cause, on
from tlcore.explain.evidence import NOVELTY_MIN, NoveltySummary
from tlcore.explain.findings import Finding
from tlcore.explain.fixes import MIN_GAIN, Fix, FixCheck
from tlcore.explain.gap_shares import GapShares

FEW = f"fewer than the {NOVELTY_MIN:.0%} from which new data is a cause"


@dataclass(frozen=True)
class Coverage:
    """The novel share read: its cause (or None), a sentence for the cause of the ``note``-th
    accepted fix (or None), and what the adaptation cause says of the coverage; ``folded`` when it is
    read as part of the best fix (no check can tell: diagnose again once that is done); ``elsewhere``
    when the share read is the fix checks' (after a fix, or of the images with ink), not the one the
    diagnosis measured in its own features."""

    cause: Cause | None
    note: tuple[int, str] | None
    sentence: str
    folded: bool = False
    elsewhere: bool = False


def helpful_fixes(findings: Sequence[Finding]) -> tuple[list[Finding], set[str]]:
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


def explains_more(combined: Fix | None, accepted: Sequence[Finding]) -> bool:
    """Whether the helpful fixes applied together (``combined``, checked) explain more than the best
    alone (``accepted[0]``), which does not remove the gap (then it is the whole verdict): they do,
    or take another :data:`MIN_GAIN` of MMD² before off what it leaves, or leave no novel share that
    is a cause where it leaves one."""
    if combined is None or combined.check is None or not combined.helps or not accepted:
        return False
    together, best = combined.check, accepted[0].fix.check  # type: ignore[union-attr]
    assert best is not None
    if best.removes_gap:
        return False
    if together.removes_gap:
        return True
    if together.mmd2_after <= best.mmd2_after - MIN_GAIN * best.mmd2_before:
        return True
    return _stays_new(best) and not _stays_new(together)


def _stays_new(check: FixCheck) -> bool:
    after = check.novelty_after
    return after is not None and after.new and after.share >= NOVELTY_MIN


def suggested_fixes(findings: Sequence[Finding], combined: Fix | None = None) -> list[Fix]:
    """The fixes the verdict suggests, in the order of their causes: ``combined`` first when it
    :func:`explains_more`, then the helpful fixes (:func:`helpful_fixes`)."""
    accepted = helpful_fixes(findings)[0]
    together = [combined] if combined is not None and explains_more(combined, accepted) else []
    return [*together, *(f.fix for f in accepted if f.fix is not None)]


def novelty_fix(findings: Sequence[Finding], blank: bool = False, combined: Fix | None = None) -> Fix | None:
    """The fix after which the verdict reads the novel share: of the fixes it suggests
    (:func:`suggested_fixes`), the one whose check leaves the least, of those whose check saw the
    target new before it (:attr:`~tlcore.explain.fixes.FixCheck.clears_novelty` not None), a fix
    alone before the fixes together on a tie; None when no check can tell or (``blank``) blank
    images are a cause, whose novel share the checks count."""
    if blank:
        return None
    fixes = suggested_fixes(findings, combined)
    told = [fix for fix in fixes if fix.check.clears_novelty is not None]  # type: ignore[union-attr]
    return min(told, key=lambda fix: (fix.check.novelty_after.share, bool(fix.parts)), default=None)  # type: ignore[union-attr]


def _after_fix(
    novelty: NoveltySummary, fix: Fix, index: int, shares: GapShares | None, basis: str
) -> Coverage:
    """The novel share as the check of ``fix`` (the ``index``-th accepted) left it; ``before`` and
    ``after`` are the check's, measured ``basis`` (``novelty`` is the diagnosis's)."""
    check = fix.check
    assert check is not None and check.novelty_before is not None and check.novelty_after is not None
    left, words = check.novelty_after, fix.words
    before, now = check.novelty_before.shown(), left.shown()
    if left.new and left.share >= NOVELTY_MIN:
        sentence = f"{now} of the target has no source neighbour even after {words} (a cause above)"
        how = "Without the novel target samples beyond chance (before any fix, as every share)"
        part = gap_part(shares, "novelty", how, None if shares is None else shares.covered, basis=basis)
        return Coverage(novelty_cause(novelty, part, check, words, basis), None, sentence, elsewhere=True)
    why = FEW if left.new else "no more than chance gives: the same kind of data, seen differently"
    note = f" {before} of the target had no source neighbour before it, {now} after it: {why}."
    sentence = (
        f"{now} of the target has no source neighbour once {words} is applied ({before} before"
        f"{on(basis)}), {why}"
        if left.new
        else f"the source covers the target once {words} is applied ({now} without a source neighbour, "
        f"{before} before{on(basis)})"
    )
    return Coverage(None, (index, note), sentence, elsewhere=True)


def read_coverage(
    novelty: NoveltySummary | None,
    findings: Sequence[Finding],
    explained: bool,
    shares: GapShares | None,
    *,
    basis: str = "",
    blank: bool = False,
    fix: str = "",
    combined: Fix | None = None,
    photos: bool = False,
) -> Coverage:
    """The novel share as the module docstring reads it: after the fix that leaves the least when a
    check can tell, else before any fix (folded into the best fix, named ``fix``, when that explains
    most of the gap); ``blank``: blank images are a cause and ``novelty`` is of the target's images
    with ink (with a foreground on colour ``photos``: :func:`~tlcore.data.ink.with_ink`);
    ``combined``: the helpful fixes' combined check (:func:`suggested_fixes`)."""
    inked = f"the target's {with_ink(photos)}"  # what the novel share is of when blank images are a cause
    if novelty is None:
        return Coverage(None, None, "how well the source covers the target is not measured here")
    share, who = novelty.shown(), inked if blank else "the target"
    where = f"{on(basis)}, the blank ones aside" if blank else ""
    if not novelty.new:
        chance = f"the source covers {who} ({share} without a source neighbour, no more than chance gives"
        chance += f"{where})"
        return Coverage(None, None, chance, elsewhere=blank)
    if novelty.share < NOVELTY_MIN:
        return Coverage(
            None, None, f"{share} of {who} has no source neighbour{where}, {FEW}", elsewhere=blank
        )
    told = novelty_fix(findings, blank, combined)
    if told is not None:
        return _after_fix(novelty, told, suggested_fixes(findings, combined).index(told), shares, basis)
    if explained:  # the best fix comes first
        again = "diagnose again once that is done"
        note = f" {share} of {who} had no source neighbour before {fix or 'it'}: {again}."
        sentence = f"{share} of {who} had no source neighbour before {fix or 'the fix'}; {again}"
        return Coverage(None, (0, note), sentence, folded=True, elsewhere=blank)
    sentence = f"{share} of {who} has no source neighbour{where} (a cause above)"
    how = "Without the novel target samples beyond chance"
    how += " (on the pair without its blank images, a cause of their own)" if blank else ""
    after = None if shares is None else shares.covered
    start = None if shares is None else shares.covered_from
    part = gap_part(shares, "novelty", how, after, basis=basis, start=start)
    cause = novelty_cause(novelty, part, of=inked if blank else "")
    return Coverage(cause, None, sentence, elsewhere=blank)
