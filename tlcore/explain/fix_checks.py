"""Which fixes are checked: the strongest findings' fixes, each loaded and re-measured, then the
helpful ones together.

:func:`with_checks` gives every firing finding its fix and checks the fixes of the
:attr:`~tlcore.explain.settings.ExplainSettings.max_checks` strongest (:func:`checked_fix`: the gap
and the statistics after the fix, :func:`tlcore.explain.fixes.check_fix`, and which findings it makes
go away); a check that fails keeps its reason as the fix's note. When two or more checked fixes help,
one more check applies them together (:func:`combined_fix`): a target both rotated and inverted is
a new look of the source's data only once both are undone, which no fix alone shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from tlcore.errors import TLError
from tlcore.explain.check_measure import CheckMeasure
from tlcore.explain.findings import Finding, compare
from tlcore.explain.fixes import (
    Fix,
    Loader,
    PairContext,
    Side,
    check_fix,
    estimate_fix,
    fix_spec,
)
from tlcore.explain.image_stats import STATISTICS


def with_checks(
    findings: list[Finding],
    pair: PairContext,
    before: CheckMeasure,
    load: Loader,
    step: Callable[[str], None],
) -> tuple[list[Finding], Fix | None]:
    """The findings with their fixes (:func:`~tlcore.explain.fixes.estimate_fix`), the fixes of the
    ``settings.max_checks`` strongest checked (:func:`checked_fix`; ``step`` names each check as it
    starts), the others saying they were not; and the helpful checked fixes applied together and
    checked (:func:`combined_fix`), ``None`` unless at least two help."""
    strongest = sorted((f for f in findings if f.fires), key=lambda f: -abs(f.difference))
    limit = pair.settings.max_checks
    fixed: dict[str, Finding] = {}
    checked = 0
    for finding in strongest:
        fix = estimate_fix(finding.statistic, pair)
        if fix is not None and fix.spec is not None:
            if checked < limit:
                step(f"checking {fix.words}")
                fix = checked_fix(fix, pair, before, load)
                checked += 1
            else:
                fix = replace(fix, note=f"not checked: only the {limit} strongest findings are")
        fixed[finding.statistic] = finding.with_fix(fix)
    helpful = [f.fix for f in fixed.values() if f.fix is not None and f.fix.helps]
    together = combined_fix(helpful, pair)
    if together is not None:
        step(f"checking {together.words}")
        together = checked_fix(together, pair, before, load)
    return [fixed.get(f.statistic, f) for f in findings], together


def combined_fix(fixes: Sequence[Fix], pair: PairContext) -> Fix | None:
    """``fixes`` applied together, best first (by their checks' MMD² change), not checked yet: each
    side's spec with the shifts of its fixes added after its own in that order (the best fix's first:
    the others on top of it; :func:`~tlcore.explain.fixes.fix_spec`, order matters: a rotation
    before an inversion leaves light corners); ``None`` with
    fewer than two, or when their specs cannot be written together (two fixes of one shift that
    :data:`~tlcore.explain.fixes.COMBINE` does not fold)."""
    if len(fixes) < 2:
        return None
    parts = tuple(sorted(fixes, key=lambda f: f.check.relative_change if f.check else 0.0))
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
