"""A sweep's state and results: its trials (expanded spec + their runs), each configuration's
mean ± std over seeds (seeds trained under other method parameters apart:
:mod:`tlcore.runs.param_groups`), and per setup (:data:`SETUP_KEYS`: the network, the target labels) the
configuration recommended without target labels beside the best in hindsight.

Numbers per trial: :func:`tlcore.runs.trial_numbers.trial_metrics`. Per configuration (the trial
minus its seed) each becomes a :class:`Stat` over the seeds that finished: the mean and the sample
standard deviation (n - 1 in the denominator; None for one seed). With two or more finished seeds
whose predictions cover the same target samples, a configuration also gets ``seeds_disagree``, the
share of target samples its seeds' adapted models classify differently
(:func:`tlcore.selection.changes.disagreement`; one number, no standard deviation; no labels). A done
trial whose result file is missing or damaged is left out of its configuration (which is then not
complete, so neither recommended nor best in hindsight); ``TrialRow.unreadable`` says why.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlcore.runs.candidates import load_pools
from tlcore.runs.param_groups import config_keys
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import UnreadableResultError
from tlcore.runs.search import point_key
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import Trial, expand
from tlcore.runs.sweep_fallback import Fallback, fallback_text, fallbacks, fallbacks_dict
from tlcore.runs.sweep_store import SweepRecord
from tlcore.runs.trial_numbers import Stat, seed_disagreement, trial_metrics
from tlcore.selection.averaged import common_validator, score_by
from tlcore.selection.ranking import Ranking, rank
from tlcore.workspace import Workspace

# ---- THE selection call site -----------------------------------------------------------------------
# The recommended configuration is chosen here and only here, without target labels, by the selection
# rule (tlcore.selection.ranking.rank over the pair's runs): a configuration is recommended when every
# seed's run is eligible (RankedRun.eligible: passed the guardrails and no other config's source-only
# model outranks it, as `runs rank` says); among those, the best mean of the rule's validator wins (one
# validator for every seed where the seeds' pools rank by different ones: tlcore.selection.averaged).
SCORE_KEY, PASSED_KEY = "selection.score", "selection.passed"


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
        for ranking in _ranked(store.workspace.root, source, target, done)
        for e in ranking.entries
    }


def deciding(store: RunStore, source: str, target: str, done: tuple[str, ...]) -> dict[str, Ranking]:
    """``{run id: the ranking that decides it}`` (its pool's, or its setup's part), as :func:`judged_runs`."""
    rankings = _ranked(store.workspace.root, source, target, done)
    return {e.run_id: ranking.part_of(e.run_id) for ranking in rankings for e in ranking.entries}


@functools.lru_cache(maxsize=64)
def _ranked(root: Path, source: str, target: str, done: tuple[str, ...]) -> tuple[Ranking, ...]:
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


# -----------------------------------------------------------------------------------------------------

HINDSIGHT_KEY = "target_accuracy"  # needs target labels: shown beside the recommendation, never used by it
SEEDS_KEY = "seeds_disagree"  # label-free: share of target samples the seeds classify differently
_SHARES = (HINDSIGHT_KEY, "source_accuracy", "source_only_accuracy", SEEDS_KEY)  # percents on the Sweep page
PERCENT_COLUMNS = (*_SHARES, *(f"{name} {stat}" for name in _SHARES for stat in ("mean", "std")))
RERUN = ("cancelled", "interrupted")  # trial statuses a driver runs again (with "pending": no run yet)


@dataclass(frozen=True)
class TrialRow:
    """A trial and its newest run (None while pending); ``unreadable``: why a done run's result is
    left out of the numbers (its result file is missing or damaged), else ""; ``config_key``: its
    configuration's (:func:`~tlcore.runs.param_groups.config_keys`)."""

    trial: Trial
    run: RunRecord | None
    metrics: dict[str, float]
    unreadable: str = ""
    config_key: str = ""

    @property
    def status(self) -> str:
        """The run's status; without a run, ``failed`` for a trial the config refuses, else ``pending``."""
        if self.run is not None:
            return self.run.status
        return "pending" if self.trial.config is not None else "failed"

    @property
    def error(self) -> str:
        """Why the trial is failed or left out: an unreadable result, its run's error, the config's
        refusal; "" otherwise."""
        return self.unreadable or (self.run.error if self.run else self.trial.refused)

    def to_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "key": self.trial.key,
            "config": self.config_key,
            "methods": self.trial.label,
            "point": self.trial.point,
            "seed": self.trial.seed,
            "status": self.status,
            "run_id": run.id if run else None,
            "progress": run.progress if run else 0.0,
            "message": run.message if run else "",
            "error": self.error,
            "metrics": self.metrics,
        }


@dataclass(frozen=True)
class ConfigRow:
    """One configuration over its seeds."""

    key: str
    methods: str
    point: dict[str, Any]
    n_seeds: int
    n_done: int  # done with a readable result
    n_failed: int
    metrics: dict[str, Stat]
    run_ids: list[str]

    @property
    def complete(self) -> bool:
        """Every seed done (none failed)."""
        return self.n_done == self.n_seeds

    @property
    def passed(self) -> tuple[int, int] | None:
        """``(runs the selection rule found eligible: passed the guardrails, not below another config's
        source-only model; runs judged)``; None before any was."""
        stat = self.metrics.get(PASSED_KEY)
        return None if stat is None else (round(stat.mean * stat.n), stat.n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "methods": self.methods,
            "point": self.point,
            "n_seeds": self.n_seeds,
            "n_done": self.n_done,
            "n_failed": self.n_failed,
            "passed": self.passed,
            "metrics": {name: stat.to_dict() for name, stat in self.metrics.items()},
            "run_ids": self.run_ids,
        }


@dataclass(frozen=True)
class SweepSummary:
    """Everything ``sweeps show`` prints and the app's sweep view shows."""

    sweep: SweepRecord
    planned: int  # trials the sweep runs at most
    trials: list[TrialRow]
    configs: list[ConfigRow]
    recommended_by_setup: dict[str, str | None]  # setup -> a ConfigRow key, chosen without target labels
    best_by_setup: dict[str, str | None]  # setup -> a ConfigRow key, by target accuracy when labelled
    # setup with a complete configuration, none recommended -> what `runs rank` decides for its runs
    fallback_by_setup: dict[str, tuple[Fallback, ...]] = field(default_factory=dict)
    scored_by: str | None = None  # every seed's selection.score by this validator: its pools mixed two

    @property
    def recommended(self) -> str | None:
        """The recommended configuration of a sweep of one setup; None across setups (see
        :attr:`recommended_by_setup`): one network's score is no reason to pick it over another."""
        return next(iter(self.recommended_by_setup.values())) if len(self.recommended_by_setup) == 1 else None

    @property
    def best_in_hindsight(self) -> str | None:
        """The best configuration in hindsight of a sweep of one setup; None across setups."""
        return next(iter(self.best_by_setup.values())) if len(self.best_by_setup) == 1 else None

    def is_recommended(self, key: str) -> bool:
        """Whether ``key`` is its setup's recommended configuration."""
        return key in self.recommended_by_setup.values()

    def is_best(self, key: str) -> bool:
        """Whether ``key`` is its setup's best configuration in hindsight."""
        return key in self.best_by_setup.values()

    @property
    def counts(self) -> dict[str, int]:
        """Trials per status (``pending`` for those without a run yet)."""
        counts: dict[str, int] = {}
        for row in self.trials:
            counts[row.status] = counts.get(row.status, 0) + 1
        return counts

    @property
    def progress(self) -> float:
        """The share of the planned trials behind the sweep: an ended trial (done or failed) counts 1, a
        running one its run's progress."""
        running = sum(row.run.progress for row in self.trials if row.run is not None and row.run.active)
        ended = sum(row.status in ("done", "failed") for row in self.trials)
        return min(1.0, (ended + running) / max(self.planned, 1))

    @property
    def finished(self) -> bool:
        """Nothing left to run: every trial done or failed (an Optuna search proposes its next round
        as soon as the last one is scored, so a pending round shows as pending trials)."""
        return all(row.status in ("done", "failed") for row in self.trials)

    @property
    def no_recommendation(self) -> str | None:
        """Why no configuration is recommended; None when one is (in any setup)."""
        return None if any(self.recommended_by_setup.values()) else self.no_recommendation_in(None)

    def no_recommendation_in(self, setup: str | None) -> str | None:
        """Why ``setup`` (None: every setup) has no recommended configuration; None when it has one."""
        if setup is not None and self.recommended_by_setup.get(setup):
            return None
        configs = [c for c in self.configs if setup is None or setup_of(c.point) == setup]
        if not any(config.complete for config in configs):
            ended = "yet" if not self.finished else "(see the failed trials)"
            return f"no configuration has a done run on every seed {ended}"
        found = tuple(f for k, v in self.fallback_by_setup.items() if setup in (None, k) for f in v)
        return (
            "no configuration passed the selection rule on every seed (its guardrails, and not below another "
            f"config's source-only model): {fallback_text(found)}"
        )

    @property
    def failed(self) -> list[TrialRow]:
        """The failed trials, in the sweep's order."""
        return [row for row in self.trials if row.status == "failed"]

    @property
    def left_out(self) -> list[TrialRow]:
        """The done trials whose result file is missing or damaged: in no configuration's numbers."""
        return [row for row in self.trials if row.unreadable]

    def config(self, key: str | None) -> ConfigRow | None:
        return next((c for c in self.configs if c.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sweep": self.sweep.to_dict(),
            "planned": self.planned,
            "counts": self.counts,
            "recommended": self.recommended,
            "best_in_hindsight": self.best_in_hindsight,
            "recommended_by_setup": self.recommended_by_setup,
            "best_by_setup": self.best_by_setup,
            "scored_by": self.scored_by,
            **fallbacks_dict(self.fallback_by_setup),
            "configs": [c.to_dict() for c in self.configs],
            "trials": [t.to_dict() for t in self.trials],
        }


def latest_runs(records: Iterable[RunRecord]) -> dict[str, RunRecord]:
    """Trial key → its newest run (a trial re-run after a cancel has several)."""
    latest: dict[str, RunRecord] = {}
    for record in sorted(records, key=lambda r: (r.created, r.id)):
        if record.trial_key is not None:
            latest[record.trial_key] = record
    return latest


def config_scores(
    runs: Mapping[str, RunRecord], n_seeds: int, judged: Mapping[str, Mapping[str, float]]
) -> dict[str, float]:
    """Configuration key → its selection score, for configurations whose every seed ended (NaN when
    one failed): what an Optuna search learns from."""
    by_config: dict[str, list[RunRecord]] = {}
    for key, record in runs.items():
        by_config.setdefault(key.rpartition("|seed=")[0], []).append(record)
    scores: dict[str, float] = {}
    for key, records in by_config.items():
        if any(r.status == "failed" for r in records):
            scores[key] = math.nan
        elif len(records) == n_seeds and all(r.status == "done" for r in records):
            scores[key] = selection_score(_stats([judged.get(r.id, {}) for r in records]))
    return scores


def _stats(per_seed: Sequence[Mapping[str, float]]) -> dict[str, Stat]:
    names = sorted({name for metrics in per_seed for name in metrics})
    return {name: Stat.of([m[name] for m in per_seed if name in m]) for name in names}


def summarise(sweep: SweepRecord, store: RunStore) -> SweepSummary:
    """The sweep's trials (its expansion, with the scores so far) joined with their newest runs and
    the selection rule's judgement, aggregated per configuration."""
    spec = sweep.spec
    runs = latest_runs(store.of_sweep(sweep.id))
    done = tuple(sorted(r.id for r in store.done_runs(spec.source, spec.target)))
    pools = _ranked(store.workspace.root, spec.source, spec.target, done)
    by = common_validator(pools, {r.id for r in runs.values()})  # one validator where its pools mix two
    judged = judged_runs(store, spec.source, spec.target, done, by)
    scores = config_scores(runs, len(spec.seeds), judged) if spec.search.kind == "optuna" else None
    expanded = expand(spec, scores)
    keys = config_keys([(t.config_key, runs.get(t.key)) for t in expanded])
    trials = [_trial_row(t, runs.get(t.key), judged, key) for t, key in zip(expanded, keys, strict=True)]
    configs: dict[str, list[TrialRow]] = {}
    for row in trials:
        configs.setdefault(row.config_key, []).append(row)
    table = [_config_row(key, rows) for key, rows in configs.items()]
    chosen, best = per_setup(table, recommend), per_setup(table, best_in_hindsight)
    decided, fallen = deciding(store, spec.source, spec.target, done), {}
    for setup in (name for name, key in chosen.items() if key is None):  # what `runs rank` decides instead
        rows = [c for c in table if setup_of(c.point) == setup]
        if any(c.complete for c in rows):
            fallen[setup] = fallbacks(store, sweep.id, [r for c in rows for r in c.run_ids], decided)
    return SweepSummary(sweep, spec.planned_trials(), trials, table, chosen, best, fallen, by)


def _trial_row(
    trial: Trial, run: RunRecord | None, judged: Mapping[str, Mapping[str, float]], key: str
) -> TrialRow:
    """The trial with its run's numbers and judgement, in configuration ``key``; a done run whose result
    file is missing or damaged is left out of them (and of the pool the rule judged)."""
    try:
        metrics = trial_metrics(run)
    except UnreadableResultError as exc:
        return TrialRow(trial, run, {}, exc.why, key)
    return TrialRow(trial, run, metrics | judged.get(run.id if run else "", {}), config_key=key)


def _config_row(key: str, rows: list[TrialRow]) -> ConfigRow:
    done = [row for row in rows if row.status == "done" and not row.unreadable]
    first = rows[0].trial
    metrics = _stats([row.metrics for row in done])
    seeds = seed_disagreement([row.run for row in done if row.run is not None])
    if seeds is not None:
        metrics[SEEDS_KEY] = Stat(seeds, None, len(done))
    return ConfigRow(
        key=key,
        methods=first.label,
        point=dict(first.point),
        n_seeds=len(rows),
        n_done=len(done),
        n_failed=sum(row.status == "failed" for row in rows),
        metrics=metrics,
        run_ids=[row.run.id for row in rows if row.run is not None],
    )
