"""One validator, on one scale, for the scores of several pools averaged together.

A ranking ranks by EnsV except where its pool's ensemble is outvoted, where it ranks by
:data:`~tlcore.selection.settings.OUTVOTED_VALIDATOR` (BNM) in EnsV's place
(:func:`~tlcore.selection.ranking.rank`, ``Ranking.asked``). A sweep averages a configuration's scores
over its seeds, and seeds that load other ``n=`` samples are judged in pools of their own: where some
of those pools are outvoted and others are not, a mean would add EnsV (the share of samples agreeing
with the ensemble, near 1 for a good model) to BNM (the probabilities' nuclear norm over ``n``),
numbers on different scales. :func:`common_validator` names the one validator such scores are all
taken by: the outvoted one, which stands wherever any pool is outvoted and which every ranked run's
``scores`` hold; :func:`score_by` takes it. Scores of pools that all rank by one validator are each
ranking's own.

BNM itself is on a scale of its pool's ``n``: at most ``sqrt(min(n, K) / n)`` for ``K`` classes
(:func:`bnm_ceiling`), so a seed judged on 300 samples scores ``sqrt(10)`` times one judged on 3,000
with predictions alike. Every BNM a sweep averages is therefore taken as
a share of that most, ``BNM / sqrt(min(n, K) / n) = ||P||_* / sqrt(n min(n, K))``, in ``[0, 1]`` (1:
one-hot predictions spread evenly over the classes; a collapsed model ``1 / sqrt(min(n, K))``). Seeds
of one ``n`` and ``K`` are all divided by the same number, so they rank as their raw BNM does.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from tlcore.selection.ranking import RankedRun, Ranking
from tlcore.selection.settings import OUTVOTED_VALIDATOR

SCALED = "bnm"  # the validator score_by takes as a share of its ceiling


def common_validator(rankings: Iterable[Ranking], runs: Collection[str]) -> str | None:
    """The validator every score of ``runs`` is to be taken by, where the rankings of the pools that
    hold them do not all rank by the same one (some outvoted): :data:`OUTVOTED_VALIDATOR`; None where
    they do (each run keeps its ranking's ``score``)."""
    used = {r.settings.validator for r in rankings if any(e.run_id in runs for e in r.entries)}
    return OUTVOTED_VALIDATOR if len(used) > 1 else None


def bnm_ceiling(n: int, k: int) -> float:
    """The most :func:`~tlcore.selection.validators.bnm_score` of ``n`` samples and ``k`` classes can
    be, ``sqrt(min(n, k) / n)``: ``||P||_* <= sqrt(rank P) ||P||_F`` with ``rank P <= min(n, k)`` and
    ``||P||_F^2 = sum_i ||p_i||^2 <= n`` (each row on the simplex), so
    ``||P||_* / n <= sqrt(min(n, k) n) / n``; reached by one-hot predictions spread evenly over
    ``min(n, k)`` classes (``k`` dividing ``n``). A collapsed model's ``1 / sqrt(n)`` is
    ``1 / sqrt(min(n, k))`` of it."""
    return math.sqrt(min(n, k) / n)


def score_by(entry: RankedRun, validator: str | None, ranking: Ranking) -> float:
    """``entry``'s score to average over seeds: by ``validator`` (:func:`common_validator`), or its
    ``ranking``'s own when None; a BNM score as a share of the most its ``n`` target samples and the
    ranking's ``K`` classes allow (see the module docstring)."""
    score = entry.score if validator is None else entry.scores[validator]
    n, k = entry.n_target, ranking.n_classes
    if (validator or ranking.settings.validator) != SCALED or n is None or k is None:
        return score
    return score / bnm_ceiling(n, k)
