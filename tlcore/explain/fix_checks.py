"""Which fixes are checked: the strongest findings' fixes, each loaded and re-measured.

:func:`with_checks` gives every firing finding its fix and checks the fixes of the
:attr:`~tlcore.explain.settings.ExplainSettings.max_checks` strongest (:func:`checked_fix`: the gap
and the statistics after the fix, :func:`tlcore.explain.fixes.check_fix`, and which findings it makes
go away); a check that fails keeps its reason as the fix's note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tlcore.errors import TLError
from tlcore.explain.findings import Finding, compare
from tlcore.explain.fixes import CheckMeasure, Fix, Loader, PairContext, check_fix, estimate_fix
from tlcore.explain.image_stats import STATISTICS


def with_checks(
    findings: list[Finding],
    pair: PairContext,
    before: CheckMeasure,
    load: Loader,
    step: Callable[[str], None],
) -> list[Finding]:
    """The findings with their fixes (:func:`~tlcore.explain.fixes.estimate_fix`), the fixes of the
    ``settings.max_checks`` strongest checked (:func:`checked_fix`; ``step`` names each check as it
    starts), the others saying they were not."""
    strongest = sorted((f for f in findings if f.fires), key=lambda f: -abs(f.difference))
    limit = pair.settings.max_checks
    fixed: dict[str, Finding] = {}
    checked = 0
    for finding in strongest:
        fix = estimate_fix(finding.statistic, pair)
        if fix is not None and fix.spec is not None:
            if checked < limit:
                step(f"checking {fix.shift}={fix.value:g} on the {fix.side}")
                fix = checked_fix(fix, pair, before, load)
                checked += 1
            else:
                fix = replace(fix, note=f"not checked: only the {limit} strongest findings are")
        fixed[finding.statistic] = finding.with_fix(fix)
    return [fixed.get(f.statistic, f) for f in findings]


def checked_fix(fix: Fix, pair: PairContext, before: CheckMeasure, load: Loader) -> Fix:
    """``fix`` with its check, including the findings it makes go away; the reason when it fails."""
    try:
        check, fixed_stats = check_fix(fix, pair, before, load)
    except TLError as exc:
        return replace(fix, note=f"not checked: {exc}")
    after = {**pair.stats, fix.side: fixed_stats}
    fdr = pair.settings.fdr
    was = {f.statistic for f in compare(pair.stats["source"], pair.stats["target"], fdr) if f.fires}
    still = {f.statistic for f in compare(after["source"], after["target"], fdr) if f.fires}
    resolves = tuple(s.name for s in STATISTICS if s.name in was and s.name not in still)
    return replace(fix, check=replace(check, resolves=resolves))
