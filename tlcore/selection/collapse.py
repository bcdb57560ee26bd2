"""Rule 4 of the ranking (:mod:`tlcore.selection.ranking`): when the model it leaves you with is
collapsed on the target.

The guardrails compare each run with its own source-only model, so a model that predicts few classes
on the target passes when its source-only model does too (a source-only run passes against itself),
and "keep the source-only model" can be a collapsed model: the ranking's caveat
(:meth:`~tlcore.selection.ranking.Ranking.collapsed_choice`) says so when the model it leaves you with
predicts fewer effective target classes (:func:`~tlcore.selection.validators.effective_classes`) than
``COLLAPSED_SHARE`` of the source's ``K`` classes. When it does, the runs are ordered again, with
``floor = COLLAPSED_SHARE * K``:

* the source-accuracy guardrail is set aside for each run whose own source-only model predicts fewer
  than ``floor`` effective target classes, whose adapted model predicts at least that many and whose
  ensemble agreement was checked and passed (:func:`~tlcore.selection.alarm.waive_source_check`): the
  guardrail protects a source-only model worth keeping, and a collapsed one is not;
* among the runs that pass, those whose adapted model predicts at least ``floor`` effective target
  classes (:func:`spread`) go before those that do not, then the validator as before;
* in a pool of several configs (:mod:`tlcore.selection.baselines`) a source-only model that predicts
  fewer than ``floor`` sets no bar (:func:`bars`): EnsV rewards agreeing with the ensemble, and beside
  collapsed models the ensemble labels the target with their one class, which they agree with best.

The new order counts when it changes the choice to a model that is not collapsed (a pool whose every
run collapsed keeps its answer; README, "Choosing a run", has a 20-class pair's numbers and a
table's). A pool whose choice predicts at least ``floor`` classes is ranked as before; on a balanced
target a model that labels most samples right does (the selection benchmark's pools: their choices'
accuracies bound their effective classes from below).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from tlcore.numbers import and_list
from tlcore.selection.alarm import Check
from tlcore.selection.baselines import Baseline, baselines

if TYPE_CHECKING:
    from tlcore.selection.ranking import RankedRun, Ranking

COLLAPSED_SHARE = 0.5  # the caveat's line: effective target classes below this share of the source's


def collapse_check(entry: RankedRun) -> Check:
    """The run's collapse guardrail: its source-only model's effective target classes and its own."""
    return next(c for c in entry.alarm.checks if c.name == "collapse")


def spread(entry: RankedRun, floor: float) -> bool:
    """Whether the run's adapted model predicts at least ``floor`` effective target classes."""
    return collapse_check(entry).after >= floor


def bars(entries: Sequence[RankedRun], floor: float) -> tuple[Baseline, ...]:
    """The pool's configs as :func:`~tlcore.selection.baselines.baselines` gives them, from the
    source-only models that predict at least ``floor`` effective target classes only (a config whose
    every source-only model predicts fewer is left out)."""
    return baselines([e for e in entries if collapse_check(e).before >= floor])


def classes_text(classes: float) -> str:
    """``1.0 effective class``, ``2.6 effective classes``."""
    return f"{classes:.1f} effective class{'' if f'{classes:.1f}' == '1.0' else 'es'}"


def spread_words(floor: float, n_classes: int) -> str:
    """What the reason says of the runs it compared: they label the target with enough classes."""
    return (
        f"label the target with at least {COLLAPSED_SHARE:.0%} of the classes ({floor:g} or more effective "
        f"classes of {n_classes})"
    )


def passed_over(
    choice: str, classes: float, entries: Sequence[RankedRun], configs: Sequence[Baseline], floor: float
) -> str:
    """Why the ranking was made again, said after its reason: the first choice (``choice``, in words)
    predicts ``classes`` effective target classes; in a pool of several configs also the configs
    whose every source-only model predicts fewer than ``floor`` (no bar)."""
    said = f"; ranked so because {choice} predicts {classes_text(classes)} on the target"
    kept = {b.label for b in bars(entries, floor)}
    no_bar = [b for b in configs if b.label not in kept] if len(configs) > 1 else []
    if no_bar:
        most = max(collapse_check(e).before for e in entries if e.baseline not in kept)
        one = len(no_bar) == 1
        names = and_list(b.label for b in no_bar)
        said += (
            f", and the source-only model{'' if one else 's'} of {names} "
            f"{'predicts' if one else 'predict'} at most {classes_text(most)}, so "
            f"{'its' if one else 'their'} EnsV sets no bar"
        )
    return said


def kept_collapsed(ranking: Ranking) -> Ranking:
    """``ranking`` with its reason saying that the source-only model it keeps is collapsed on the target
    (:meth:`~tlcore.selection.ranking.Ranking.collapsed_choice`), in the recommendation's own sentence: a
    caveat beside "keep the source-only model" that called keeping it no safe fallback read as its
    contradiction (QA helper-246); ``ranking`` itself when it keeps no collapsed source-only model."""
    collapsed = ranking.collapsed_choice()
    if collapsed is None or collapsed[0] != "source-only":
        return ranking
    said = (
        f"; that model is collapsed, though: it predicts {classes_text(collapsed[1])} of {ranking.n_classes} "
        "on the target, so label a few target samples per class and check it on them before using it"
    )
    return replace(ranking, reason=ranking.reason + said)
