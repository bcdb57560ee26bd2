"""Why the ranking chose what it chose, in one line (:attr:`tlcore.selection.ranking.Ranking.reason`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tlcore.selection.baselines import Baseline, cleared
from tlcore.selection.settings import VALIDATORS, SelectionSettings

if TYPE_CHECKING:
    from tlcore.selection.ranking import RankedRun

_FAILURE_WORDS = {
    "collapse": "collapsed",
    "source_accuracy": "lost source accuracy",
    "ensemble_agreement": "fell below source-only's ensemble agreement",
}


def reason(
    entries: list[RankedRun], best: RankedRun | None, settings: SelectionSettings, configs: Sequence[Baseline]
) -> str:
    """Why the ranking chose what :attr:`Ranking.choice` says: the recommended run's score among the
    runs it was compared with (the passing runs the validator scores reliably), or why none is."""
    validator = VALIDATORS[settings.validator]
    if best is not None:
        eligible = sum(entry.eligible and entry.reliable for entry in entries)
        reliable = (
            f" with a reliable {validator.label} ({settings.min_ess:g} or more effective samples of the "
            "importance weights)"
            if validator.weighted
            else ""
        )
        guardrails = (
            f"kept at least {settings.min_class_ratio:.0%} of their source-only model's effective classes, "
            f"source accuracy within {100 * settings.max_source_drop:g} points of it and ensemble agreement "
            "not below it"
        )
        if len(configs) > 1:  # the count is of the runs that also reach every other config's baseline
            below = sum(e.passed and e.reliable and e.outranked_by is not None for e in entries)
            guardrails = (
                f"passed the guardrails ({guardrails}) and whose EnsV reaches every other config's "
                "source-only model's"
                + (
                    f" ({below} more passed them but {'stays' if below == 1 else 'stay'} below one)"
                    if below
                    else ""
                )
            )
        return (
            f"highest {validator.label} ({best.score:.3f}) among the {eligible} of {len(entries)} runs"
            f"{reliable} that {guardrails}"
            + "".join(f"; for this run, {why}" for why in best.alarm.unchecked)
            + (cleared(configs) if len(configs) > 1 else "")
        )
    if not entries:
        return "there is no run to compare"
    if passing := [e for e in entries if e.eligible]:
        few = f"rests on fewer than {settings.min_ess:g} effective samples of the importance weights"
        unknown = sum(e.ess is None for e in passing)
        if unknown == len(passing):
            few = (
                "is of unknown reliability: they were stored before tlstudio measured the effective "
                "sample size of the importance weights"
            )
        elif unknown:
            few += " or on a number never measured (stored before tlstudio measured it)"
        return (
            f"the {validator.label} of every run that passed the guardrails {few}; rank by another "
            "validator (EnsV is the default)"
        )
    failures = Counter(c.name for e in entries for c in e.alarm.checks if not c.passed)
    counted = ", ".join(
        f"{failures[name]} {words}" for name, words in _FAILURE_WORDS.items() if failures[name]
    )
    if len(entries) == 1:
        return f"the one run did not pass the guardrails ({counted})"
    return f"none of the {len(entries)} runs passed the guardrails ({counted})"
