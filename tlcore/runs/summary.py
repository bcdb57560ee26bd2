"""A sweep's state and results: its trials (expanded spec + their runs), each configuration's
mean ± std over seeds (seeds trained under other method parameters apart:
:mod:`tlcore.runs.param_groups`), and per setup (:data:`~tlcore.runs.sweep_selection.SETUP_KEYS`: the
network, the target labels) the configuration recommended without target labels beside the best in
hindsight (chosen in :mod:`tlcore.runs.sweep_selection`).

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

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tlcore.runs.param_groups import config_keys
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import UnreadableResultError
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import Trial, expand
from tlcore.runs.sweep_fallback import Fallback, fallback_text, fallbacks, fallbacks_dict
from tlcore.runs.sweep_selection import (
    HINDSIGHT_KEY,
    PASSED_KEY,
    best_in_hindsight,
    deciding,
    judged_runs,
    per_setup,
    ranked_pools,
    recommend,
    selection_score,
    setup_of,
)
from tlcore.runs.sweep_store import SweepRecord
from tlcore.runs.trial_numbers import Stat, seed_disagreement, trial_metrics
from tlcore.selection.averaged import common_validator

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

    def to_dict(self, *, workspace: str | None = None) -> dict[str, Any]:
        """JSON-safe; the fallbacks' commands with ``--workspace workspace`` when given."""
        return {
            "sweep": self.sweep.to_dict(),
            "planned": self.planned,
            "counts": self.counts,
            "recommended": self.recommended,
            "best_in_hindsight": self.best_in_hindsight,
            "recommended_by_setup": self.recommended_by_setup,
            "best_by_setup": self.best_by_setup,
            "scored_by": self.scored_by,
            **fallbacks_dict(self.fallback_by_setup, workspace=workspace),
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
    pools = ranked_pools(store.workspace.root, spec.source, spec.target, done)
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
