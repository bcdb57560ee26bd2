"""THE selection call site of a sweep: the configuration recommended per setup, chosen here and only here
without target labels, and the best in hindsight shown beside it.

The selection rule (:func:`tlcore.selection.ranking.rank` over the pair's runs) judges every run: a
configuration is recommended when every seed's run is eligible
(:attr:`~tlcore.selection.ranking.RankedRun.eligible`: passed the guardrails and no other config's
source-only model outranks it, as ``runs rank`` says); among those, the best mean of the rule's
validator wins (one validator for every seed where the seeds' pools rank by different ones:
:mod:`tlcore.selection.averaged`). :mod:`tlcore.runs.summary` builds the configurations it chooses among.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tlcore.runs.candidates import load_pools
from tlcore.runs.search import point_key
from tlcore.runs.store import RunStore
from tlcore.runs.trial_numbers import Stat
from tlcore.selection.averaged import score_by
from tlcore.selection.ranking import Ranking, rank
from tlcore.workspace import Workspace

if TYPE_CHECKING:
    from tlcore.runs.summary import ConfigRow

SCORE_KEY, PASSED_KEY = "selection.score", "selection.passed"
HINDSIGHT_KEY = "target_accuracy"  # needs target labels: shown beside the recommendation, never used by it


def judged_runs(
    store: RunStore, source: str, target: str, done: tuple[str, ...], by: str | None = None
) -> dict[str, dict[str, float]]:
    """``{run id: {selection.score, selection.passed}}`` from the rule over each of the pair's pools
    (runs on the same target samples: trials of other seeds may load other ``n=`` samples, and each
    is judged among its own); ``selection.passed`` is the ranking's own verdict,
    :attr:`~tlcore.selection.ranking.RankedRun.eligible`, so a sweep and ``runs rank`` agree;
    ``selection.score`` is the ranking's score, or by the validator ``by`` where the pools judging a
    sweep's runs rank by different ones (:func:`~tlcore.selection.averaged.common_validator`), a BNM
    score on one scale whatever its pool's ``n`` (:func:`~tlcore.selection.averaged.score_by`);
    ``done`` (the pair's done run ids) keys the cache, so the pools are read again only when a run
    finishes."""
    return {
        e.run_id: {SCORE_KEY: score_by(e, by, ranking), PASSED_KEY: float(e.eligible)}
        for ranking in ranked_pools(store.workspace.root, source, target, done)
        for e in ranking.entries
    }


def deciding(store: RunStore, source: str, target: str, done: tuple[str, ...]) -> dict[str, Ranking]:
    """``{run id: the ranking that decides it}`` (its pool's, or its setup's part), as :func:`judged_runs`."""
    rankings = ranked_pools(store.workspace.root, source, target, done)
    return {e.run_id: ranking.part_of(e.run_id) for ranking in rankings for e in ranking.entries}


@functools.lru_cache(maxsize=64)
def ranked_pools(root: Path, source: str, target: str, done: tuple[str, ...]) -> tuple[Ranking, ...]:
    """The rule's ranking of each of the pair's pools, cached by ``done`` (the pair's done run ids);
    none before a run is done."""
    return tuple(rank(pool) for pool in load_pools(RunStore(Workspace(root)), source, target)) if done else ()


def selection_score(metrics: Mapping[str, Stat]) -> float:
    """A configuration's label-free score (higher is better); NaN unless every seed passed the rule."""
    passed, score = metrics.get(PASSED_KEY), metrics.get(SCORE_KEY)
    if passed is None or score is None or passed.mean < 1.0:
        return math.nan
    return score.mean


def recommend(configs: Sequence[ConfigRow]) -> str | None:
    """The key of the complete configuration (every seed done and judged) with the best selection
    score; None: no configuration passed, keep the source-only model. Called once per setup
    (:func:`per_setup`): a score of one network says nothing of another's."""
    scored = [(selection_score(c.metrics), c.key) for c in configs if c.complete and c.n_done == c.n_seeds]
    scored = [(score, key) for score, key in scored if not math.isnan(score)]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


SETUP_KEYS = ("model", "target_labels")
"""Space keys that make another setup, not another hyper-parameter: the network trained and the target
labels it fine-tunes on. A sweep that varies them is one sweep per setup, each with its recommendation
(its source-only model, its guardrails) and its best in hindsight."""


def setup_of(point: Mapping[str, Any]) -> str:
    """A configuration's setup, ``model=lenet_bn``; ``""`` when the sweep varies no :data:`SETUP_KEYS`."""
    return point_key({key: point[key] for key in SETUP_KEYS if key in point})


def per_setup(
    configs: Sequence[ConfigRow], choose: Callable[[list[ConfigRow]], str | None]
) -> dict[str, str | None]:
    """``{setup: choose(its configurations)}``, setups in the sweep's order."""
    groups: dict[str, list[ConfigRow]] = {}
    for config in configs:
        groups.setdefault(setup_of(config.point), []).append(config)
    return {setup: choose(rows) for setup, rows in groups.items()}


def best_in_hindsight(configs: Sequence[ConfigRow]) -> str | None:
    """The complete configuration with the best mean target accuracy (needs target labels)."""
    labelled = [c for c in configs if c.complete and HINDSIGHT_KEY in c.metrics]
    return max(labelled, key=lambda c: c.metrics[HINDSIGHT_KEY].mean).key if labelled else None
