"""Why the ranking chose what it chose, in one line (:attr:`tlcore.selection.ranking.Ranking.reason`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tlcore.numbers import and_list, score_text
from tlcore.selection.baselines import Baseline, cleared
from tlcore.selection.collapse import bars, spread, spread_words
from tlcore.selection.settings import VALIDATORS, SelectionSettings

if TYPE_CHECKING:
    from tlcore.selection.ranking import RankedRun

_FAILURE_WORDS = {
    "collapse": "collapsed",
    "source_accuracy": "lost source accuracy",
    "ensemble_agreement": "fell below source-only's ensemble agreement",
}


def reason(
    entries: list[RankedRun],
    best: RankedRun | None,
    settings: SelectionSettings,
    configs: Sequence[Baseline],
    *,
    n_classes: int | None = None,
    again: tuple[float, str] | None = None,
) -> str:
    """Why the ranking chose what :attr:`Ranking.choice` says, read after ``runs rank``'s "because:" and
    Compare's "Recommended: RUN," alike ("the highest ...", "the one run ..."): the recommended run's
    score among the runs it was compared with (the passing runs the validator scores reliably), or why
    none is; with ``again`` (rule 4, :mod:`tlcore.selection.collapse`: effective target classes, and why
    the ranking was made again) among those that label the target with at least that many classes."""
    validator = VALIDATORS[settings.validator]
    if best is not None and again is not None and n_classes is not None:
        return _spread_reason(entries, best, settings, configs, n_classes=n_classes, again=again)
    if best is not None:
        eligible = sum(entry.eligible and entry.reliable for entry in entries)
        reliable = (
            f" with a reliable {validator.label} ({settings.min_ess:g} or more effective samples of the "
            "importance weights)"
            if validator.weighted
            else ""
        )
        guardrails = _guardrails(settings, agreement=_agreement_checked(entries), one=len(entries) == 1)
        score = score_text(best.score)
        if len(entries) == 1:  # one run is said as one: not "among the 1 of 1 runs that kept"
            which = f"which,{reliable}," if reliable else "which"
            tail = _tail(best, configs, entries)
            return f"the one run ({validator.label} {score}), {which} {guardrails}{tail}"
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
        return f"the highest {validator.label} ({score}) among the {eligible} of {len(entries)} runs" + (
            f"{reliable} that {guardrails}{_tail(best, configs, entries)}"
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
    return _none_passed(entries)


def _none_passed(entries: list[RankedRun]) -> str:
    """Why no run passed the guardrails: each failure counted, or the one run's failures said of it."""
    failures = Counter(c.name for e in entries for c in e.alarm.checks if not c.passed)
    if len(entries) == 1:  # not "(1 lost source accuracy)"
        words = [words for name, words in _FAILURE_WORDS.items() if failures[name]]
        return "the one run did not pass the guardrails" + (f": it {and_list(words)}" if words else "")
    counted = ", ".join(
        f"{failures[name]} {words}" for name, words in _FAILURE_WORDS.items() if failures[name]
    )
    return f"none of the {len(entries)} runs passed the guardrails ({counted})"


def _agreement_checked(entries: list[RankedRun]) -> bool:
    """Whether any run's ensemble agreement was checked (none is where the ensemble is outvoted or
    holds no other run's model)."""
    return any(c.checked for e in entries for c in e.alarm.checks if c.name == "ensemble_agreement")


def _guardrails(settings: SelectionSettings, *, agreement: bool = True, one: bool = False) -> str:
    """The guardrails in words; without ``agreement`` (checked for no run) the two that were checked;
    ``one``: of one run (its source-only model, not their)."""
    whose = "its" if one else "their"
    classes = f"kept at least {settings.min_class_ratio:.0%} of {whose} source-only model's effective classes"
    source = f"source accuracy within {100 * settings.max_source_drop:g} points of it"
    if not agreement:
        return f"{classes} and {source}"
    return f"{classes}, {source} and ensemble agreement not below it"


def _tail(best: RankedRun, configs: Sequence[Baseline], entries: list[RankedRun]) -> str:
    """The end of a recommendation's reason: the checks not made for the run (for every run: said
    without "for this run"), and a mixed pool's configs."""
    which = "; for this run, " if _agreement_checked(entries) else "; "
    unchecked = "".join(f"{which}{why}" for why in best.alarm.unchecked)
    return unchecked + (cleared(configs) if len(configs) > 1 else "")


def _spread_reason(
    entries: list[RankedRun],
    best: RankedRun,
    settings: SelectionSettings,
    configs: Sequence[Baseline],
    *,
    n_classes: int,
    again: tuple[float, str],
) -> str:
    """The reason of a recommendation made by rule 4 (:mod:`tlcore.selection.collapse`): the highest
    score among the passing runs that label the target with enough classes, and why it was made so."""
    validator = VALIDATORS[settings.validator]
    floor, why = again
    compared = [e for e in entries if e.eligible and e.reliable and spread(e, floor)]
    which = f"passed the guardrails ({_guardrails(settings, agreement=_agreement_checked(entries))})"
    if len(configs) > 1 and bars(entries, floor):  # other configs' source-only models not collapsed
        below = sum(
            e.passed and e.reliable and spread(e, floor) and e.outranked_by is not None for e in entries
        )
        more = f" ({below} more {'stays' if below == 1 else 'stay'} below one)" if below else ""
        which += (
            f", {spread_words(floor, n_classes)} and whose EnsV reaches every other config's source-only "
            f"model's that does too{more}"
        )
    else:
        which += f" and {spread_words(floor, n_classes)}"
    score = score_text(best.score)
    return (
        f"the highest {validator.label} ({score}) among the {len(compared)} of {len(entries)} runs that "
        f"{which}{why}{_tail(best, configs, entries)}"
    )
