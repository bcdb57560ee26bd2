"""One validator for the scores of several pools averaged together.

A ranking ranks by EnsV except where its pool's ensemble is outvoted, where it ranks by
:data:`~tlcore.selection.settings.OUTVOTED_VALIDATOR` (BNM) in EnsV's place
(:func:`~tlcore.selection.ranking.rank`, ``Ranking.asked``). A sweep averages a configuration's scores
over its seeds, and seeds that load other ``n=`` samples are judged in pools of their own: where some
of those pools are outvoted and others are not, a mean would add EnsV (the share of samples agreeing
with the ensemble, near 1 for a good model) to BNM (the probabilities' nuclear norm over ``n``, at
most ``sqrt(K / n)``), numbers on different scales.
:func:`common_validator` names the one validator such scores are all taken by: the outvoted one, which
stands wherever any pool is outvoted and which every ranked run's ``scores`` hold; :func:`score_by`
takes it. Scores of pools that all rank by one validator are each ranking's own, unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from tlcore.selection.ranking import RankedRun, Ranking
from tlcore.selection.settings import OUTVOTED_VALIDATOR


def common_validator(rankings: Iterable[Ranking], runs: Collection[str]) -> str | None:
    """The validator every score of ``runs`` is to be taken by, where the rankings of the pools that
    hold them do not all rank by the same one (some outvoted): :data:`OUTVOTED_VALIDATOR`; None where
    they do (each run keeps its ranking's ``score``)."""
    used = {r.settings.validator for r in rankings if any(e.run_id in runs for e in r.entries)}
    return OUTVOTED_VALIDATOR if len(used) > 1 else None


def score_by(entry: RankedRun, validator: str | None) -> float:
    """``entry``'s score by ``validator`` (:func:`common_validator`); its ranking's own when None."""
    return entry.score if validator is None else entry.scores[validator]
