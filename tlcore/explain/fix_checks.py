"""Which fixes are checked: the strongest findings' fixes, each loaded and re-measured, then the
helpful ones together, with those that help on top of them.

:func:`with_checks` gives every firing finding its fix and checks the fixes of the
:attr:`~tlcore.explain.settings.ExplainSettings.max_checks` strongest (:func:`checked_fix`: the gap
and the statistics after the fix, :func:`tlcore.explain.fixes.check_fix`, and which findings it makes
go away); a check that fails keeps its reason as the fix's note. When two or more checked fixes help,
one more check applies them together (:func:`combined_fix`): a target both rotated and inverted is
a new look of the source's data only once both are undone, which no fix alone shows. A checked fix
that does not help alone may help on top of them (an inversion hides a rotation: undoing the turn
alone leaves the inverted target as far as before), so when at least one fix helps and another does
not, the combination grows (:func:`grown_fix`): each fix that does not help alone, strongest finding
first, joins it when adding it shrinks what the combination leaves as a fix must shrink the gap to
help (:func:`~tlcore.explain.fixes.shrinks`), until it removes the gap. One check per such fix at
most, and none for a combination already checked (:class:`Checks`: each set of specs is loaded and
measured once).

A slant is an axis (:func:`~tlcore.explain.image_stats.axial_difference`, wrapped to ``(-90, 90]``):
it cannot tell a turn of +90° from one of -90°, so a checked rotation's fix of at least
:data:`AMBIGUOUS_TURN` degrees is checked with the other sign too, alone or on top of the other
helpful fixes (an inversion hides which way the target turned), and the sign that leaves less MMD²
kept (:func:`signed_rotation`; QA: a Fashion target rotated by 90° was told ``rotate=90``, which
turns it upside down). That is one to three more checks, and only with such a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from tlcore.errors import TLError
from tlcore.explain.causes import mmd2_left
from tlcore.explain.check_measure import CheckMeasure
from tlcore.explain.findings import Finding, compare, turned_the_other_way
from tlcore.explain.fixes import (
    Fix,
    Loader,
    PairContext,
    Side,
    check_fix,
    estimate_fix,
    fix_spec,
    shrinks,
)
from tlcore.explain.image_stats import STATISTICS

# |rotate| from which a slant's fix is checked with both signs: from 60° on, -value lies nearer the
# turn the slant reads the same (value ∓ 180°) than the value lies to no turn (module docstring)
AMBIGUOUS_TURN = 60.0


@dataclass
class Checks:
    """Checks fixes on one pair (:func:`checked_fix`; ``step`` names each as it starts), each set of
    specs to load (:attr:`~tlcore.explain.fixes.Fix.changes`) checked once: a combination
    :func:`signed_rotation` compared is not checked again when :func:`grown_fix` tries it."""

    pair: PairContext
    before: CheckMeasure
    load: Loader
    step: Callable[[str], None]
    done: dict[tuple[tuple[Side, str], ...], Fix] = field(default_factory=dict)

    def __call__(self, fix: Fix) -> Fix:
        """``fix`` with its check, or with the reason it failed as its note."""
        key = tuple(sorted(fix.changes.items()))
        if key not in self.done:
            self.step(f"checking {fix.words}")
            self.done[key] = checked_fix(fix, self.pair, self.before, self.load)
        hit = self.done[key]
        return replace(fix, check=hit.check, note=fix.note if hit.check is not None else hit.note)


def with_checks(
    findings: list[Finding],
    pair: PairContext,
    before: CheckMeasure,
    load: Loader,
    step: Callable[[str], None],
) -> tuple[list[Finding], Fix | None]:
    """The findings with their fixes (:func:`~tlcore.explain.fixes.estimate_fix`), the fixes of the
    ``settings.max_checks`` strongest checked (:func:`checked_fix`; ``step`` names each check as it
    starts), the others saying they were not, a large rotation's sign checked
    (:func:`signed_rotation`); and the helpful checked fixes applied together, with the fixes that
    help on top of them, and checked (:func:`grown_fix`), ``None`` unless that is at least two."""
    strongest = sorted((f for f in findings if f.fires), key=lambda f: -abs(f.difference))
    limit = pair.settings.max_checks
    check = Checks(pair, before, load, step)
    fixed: dict[str, Finding] = {}
    checked = 0
    for finding in strongest:
        fix = estimate_fix(finding.statistic, pair)
        if fix is not None and fix.spec is not None:
            if checked < limit:
                fix = check(fix)
                checked += 1
            else:
                fix = replace(fix, note=f"not checked: only the {limit} strongest findings are")
        fixed[finding.statistic] = finding.with_fix(fix)
    for name, finding in fixed.items():
        if finding.fix is not None and finding.fix.shift == "rotate":
            others = [f.fix for f in fixed.values() if f.fix is not None and f.fix.helps and f is not finding]
            fix = signed_rotation(finding.fix, others, pair, check)
            turned = fix.value * finding.difference > 0  # the other sign than the slant's: its words too
            fixed[name] = (turned_the_other_way(finding) if turned else finding).with_fix(fix)
    fixes = [f.fix for f in fixed.values() if f.fix is not None and f.fix.check is not None]
    together = grown_fix(fixes, pair, check)
    return [fixed.get(f.statistic, f) for f in findings], together


def grown_fix(fixes: Sequence[Fix], pair: PairContext, check: Callable[[Fix], Fix]) -> Fix | None:
    """The helpful ones of ``fixes`` (checked, strongest finding first) applied together
    (:func:`combined_fix`) and checked, then each that does not help alone added in turn when the
    combination with it leaves less MMD² by as much as a fix must take off the gap to help
    (:func:`~tlcore.explain.fixes.shrinks`, from what the combination leaves: QA, a Fashion target
    rotated, blurred and inverted, ``rotate=-90`` takes nothing off alone, and ``invert=1`` with it
    leaves 0.00065 of 0.09), until the combination removes the gap (module docstring); ``None``
    when fewer than two fixes are in it."""
    helpful = [fix for fix in fixes if fix.helps]
    current = combined_fix(helpful, pair) if len(helpful) > 1 else helpful[0] if helpful else None
    if current is None:  # none helps, or the helpful ones cannot be written together
        return None
    current = check(current)
    for fix in fixes:
        if current.check is None or current.check.removes_gap:
            break
        trial = None if fix.helps else combined_fix([*(current.parts or (current,)), fix], pair)
        if trial is not None:
            trial = check(trial)
            if trial.check is not None and shrinks(current.check.mmd2_after, trial.check.mmd2_after):
                current = trial
    return current if current.parts else None


def combined_fix(fixes: Sequence[Fix], pair: PairContext) -> Fix | None:
    """``fixes`` applied together, best first (by their checks' MMD² change), not checked yet: each
    side's spec with the shifts of its fixes added after its own in that order (the best fix's first:
    the others on top of it; :func:`~tlcore.explain.fixes.fix_spec`, order matters: a rotation
    before an inversion leaves light corners); ``None`` with
    fewer than two, or when their specs cannot be written together (two fixes of one shift that
    :data:`~tlcore.explain.fixes.COMBINE` does not fold)."""
    if len(fixes) < 2:
        return None
    ranked = sorted(fixes, key=lambda f: f.check.relative_change if f.check else 0.0)
    parts = tuple(part for fix in ranked for part in fix.parts or (fix,))  # a two-sided fix: both
    loads: dict[Side, str] = {}
    try:
        for fix in parts:
            base = loads.get(fix.side) or pair.specs[fix.side]
            assert base is not None  # a checked fix's side is named by a spec
            loads[fix.side] = fix_spec(base, fix.shift, fix.value, last=True)
    except TLError:
        return None
    first = parts[0]
    return Fix(
        first.shift, first.value, first.side, loads[first.side], parts=parts, loads=tuple(loads.items())
    )


def signed_rotation(fix: Fix, others: Sequence[Fix], pair: PairContext, check: Callable[[Fix], Fix]) -> Fix:
    """``fix``, a checked rotation, or the same turn with the other sign, whichever leaves less MMD²
    (module docstring), its note saying so: compared alone or, when ``others`` help, on top of them
    (:func:`combined_fix`; a turn's sign is lost under a larger change such as an inversion), each
    checked by ``check`` (:class:`Checks`). ``fix`` as it is below :data:`AMBIGUOUS_TURN` degrees,
    when not checked, or when a comparison fails."""
    spec = pair.specs[fix.side]
    if abs(fix.value) < AMBIGUOUS_TURN or fix.check is None or spec is None:
        return fix
    try:
        other = Fix(fix.shift, -fix.value, fix.side, fix_spec(spec, fix.shift, -fix.value))
    except TLError:
        return fix

    def tried(candidate: Fix) -> tuple[Fix, float] | None:
        """``candidate`` checked (on top of ``others`` when any) and the MMD² it leaves; ``None`` when
        that fails."""
        trial = combined_fix([*others, candidate], pair) if others else candidate
        if trial is not None and trial.check is None:
            trial = check(trial)
        return None if trial is None or trial.check is None else (trial, trial.check.mmd2_after)

    mine, theirs = tried(fix), tried(other)
    if mine is None or theirs is None:
        return fix
    left = {fix.value: mine[1], other.value: theirs[1]}
    kept = check(other) if theirs[1] < mine[1] else fix  # alone: checked by tried(), not again
    on = f" with {' and '.join(f.words for f in others)}" if others else ""
    note = (
        f"a slant cannot tell a turn of +{abs(fix.value):g}° from -{abs(fix.value):g}°: both signs checked"
        f"{on}, rotate={kept.value:g} leaves MMD² {mmd2_left(left[kept.value], 4)}, "
        f"rotate={-kept.value:g} {mmd2_left(left[-kept.value], 4)}"
    )
    return replace(kept, note=note)


def checked_fix(fix: Fix, pair: PairContext, before: CheckMeasure, load: Loader) -> Fix:
    """``fix`` with its check, including the findings it makes go away; the reason when it fails."""
    try:
        check, fixed_stats = check_fix(fix, pair, before, load)
    except TLError as exc:
        return replace(fix, note=f"not checked: {exc}")
    after = {**pair.stats, **fixed_stats}
    fdr = pair.settings.fdr
    was = {f.statistic for f in compare(pair.stats["source"], pair.stats["target"], fdr) if f.fires}
    still = {f.statistic for f in compare(after["source"], after["target"], fdr) if f.fires}
    resolves = tuple(s.name for s in STATISTICS if s.name in was and s.name not in still)
    return replace(fix, check=replace(check, resolves=resolves))
