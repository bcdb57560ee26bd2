"""Selection quality: does the label-free rule pick a good run, and does the alarm catch the runs
that truly hurt?

For each labelled pair, a pool of candidate runs (compositions x weights x seeds, deliberately bad
ones included: too-large DANN / Deep CORAL weights, over-confident pseudo-labels) trains into one
workspace as ordinary runs (so EnsV sees the whole pool). Then, from their stored label-free scores
(:func:`tlcore.runs.candidates.load_pool`), with target labels used only to score the choice:

- per validator, the Spearman correlation of its score with the true target accuracy, and the
  regret of choosing its top run (best target accuracy in the pool minus the chosen run's);
- for the default rule (:func:`tlcore.selection.ranking.rank`), the regret, whether the chosen run
  is below its source-only model (``keep the source-only model`` counts as the source-only accuracy),
- the alarm's precision and recall on the runs whose target accuracy is truly below their
  source-only model's.

A pair whose target spec draws other samples per seed (a seeded random shift) is judged as one
pool per seed (:func:`pools_of`), each a row. Every run is a cell (:mod:`bench.cells`) whose value
is its run id in the persistent workspace under the bench state, so an interrupted part resumes
without retraining.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from scipy.stats import spearmanr

from bench.cells import Cells, config_key
from tlcore.adapt.config import AdaptConfig
from tlcore.metrics import accuracy_change
from tlcore.runs import jobs
from tlcore.runs.candidates import load_pool
from tlcore.runs.store import RunStore
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import Ranking, rank
from tlcore.selection.settings import VALIDATORS
from tlcore.workspace import Workspace

Log = Callable[[str], None]
# (methods, params): good, mediocre and deliberately bad candidates; Deep CORAL on the features (its
# default until 2026-12-04, the pools the report holds), at its default weight then (100) and around it
POOL: tuple[tuple[tuple[str, ...], dict[str, dict[str, Any]]], ...] = (
    (("source_only",), {}),
    (("deep_coral", "im"), {"deep_coral": {"layer": "features", "weight": 100.0}}),
    (("deep_coral", "im"), {"deep_coral": {"layer": "features", "weight": 10.0}}),
    (("deep_coral", "im"), {"deep_coral": {"layer": "features", "weight": 3000.0}}),
    (("dann", "im"), {}),
    (("dann", "im"), {"dann": {"weight": 0.3}}),
    (("dann", "im"), {"dann": {"weight": 10.0}}),
    (("dann",), {"dann": {"weight": 10.0}}),
    (("deep_coral",), {"deep_coral": {"layer": "features", "weight": 10000.0}}),
    (("pseudo_label",), {"pseudo_label": {"threshold": 0.5, "weight": 3.0}}),
    (("im",), {}),
    (("dan", "im"), {}),
)


def train_pool(
    pair: tuple[str, str],
    seeds: tuple[int, ...],
    epochs: int,
    *,
    pool: int,
    workspace: Workspace,
    cells: Cells,
    log: Log,
) -> dict[int, list[str]]:
    """Every candidate of the pair as a run in ``workspace`` (cells hold the run ids); the run ids
    per seed."""
    ids: dict[int, list[str]] = {}
    for seed in seeds:
        for methods, params in POOL[: pool or None]:
            config = AdaptConfig(*pair, methods=methods, params=params, seed=seed, epochs=epochs)

            def run(config: AdaptConfig = config) -> dict[str, Any]:
                log(f"selection pool: {config.method_label} {config.params} seed {config.seed}: {pair}")
                record = jobs.run_inline(workspace, config)
                return {"run_id": record.id, "status": record.status, "error": record.error}

            key = {"kind": "selection", "workspace": str(workspace.root), "config": config_key(config)}
            row = cells.get_or_run(key, run, keep=lambda row: row["status"] in ("done", "failed"))
            ids.setdefault(seed, []).append(row["run_id"])
    return ids


def pools_of(
    store: RunStore, pair: tuple[str, str], ids: dict[int, list[str]]
) -> list[tuple[list[int], Pool]]:
    """The pair's pools with the seeds whose runs each holds. Runs are comparable only on the same
    target samples (:func:`~tlcore.runs.candidates.load_pool`): a target spec with a seeded random
    shift draws other samples per seed, so its seeds make separate pools."""
    pools: list[tuple[list[int], Pool]] = []
    for seed, run_ids in sorted(ids.items()):
        done = [r for r in run_ids if store.get(r).status == "done"]
        pool = load_pool(store, *pair, run_id=done[0]) if done else None
        members = {c.run_id for c in pool.candidates} if pool else set()
        same = next((p for p in pools if {c.run_id for c in p[1].candidates} == members), None)
        if same is not None:
            same[0].append(seed)
        elif pool is not None:
            pools.append(([seed], pool))
    return pools


def _spearman(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return float(spearmanr(xs, ys).statistic)


def judge_ranking(ranking: Ranking) -> dict[str, Any]:
    """The rule's and each validator's choice scored with the target labels (never used to choose)."""
    entries = [e for e in ranking.entries if e.alarm.target_accuracy is not None]
    accuracy = {e.run_id: e.alarm.target_accuracy for e in entries}
    baseline = {e.run_id: e.alarm.source_only_accuracy for e in entries}
    best = max(accuracy.values())
    keep = statistics.fmean(baseline.values())  # "keep the source-only model": its mean accuracy
    chosen = ranking.recommended
    chosen_accuracy = accuracy[chosen] if chosen is not None else keep
    chosen_baseline = baseline[chosen] if chosen is not None else keep
    negative = {e.run_id for e in entries if e.alarm.truly_negative}
    raised = {e.run_id for e in entries if e.alarm.raised}
    validators = {}
    for name in VALIDATORS:
        scores = {e.run_id: e.scores.get(name) for e in entries if e.scores.get(name) is not None}
        if not scores:
            continue
        top = max(scores, key=lambda run_id: (scores[run_id], run_id))
        validators[name] = {
            "spearman": _spearman([scores[r] for r in scores], [accuracy[r] for r in scores]),
            "regret": best - accuracy[top],
            "chosen_accuracy": accuracy[top],
        }
    return {
        "n_runs": len(entries),
        "best_accuracy": best,
        "source_only_accuracy": keep,
        "recommended": chosen,
        "reason": ranking.reason,
        "chosen_accuracy": chosen_accuracy,
        "regret": best - chosen_accuracy,
        "below_source_only": accuracy_change.fell(chosen_accuracy, chosen_baseline),
        "n_negative": len(negative),
        "n_alarms": len(raised),
        "alarm_precision": len(raised & negative) / len(raised) if raised else None,
        "alarm_recall": len(raised & negative) / len(negative) if negative else None,
        "validators": validators,
    }


def run_selection(
    pairs: tuple[tuple[str, str], ...],
    seeds: tuple[int, ...],
    epochs: int,
    *,
    pool: int = 0,
    cells: Cells,
    log: Log,
) -> dict[str, Any]:
    """Every pair's pool trained (or resumed) and judged; the rule under the default settings."""
    rows, networks = [], set()
    for pair in pairs:
        workspace = Workspace.resolve(cells.folder / "selection-workspace")
        ids = train_pool(pair, seeds, epochs, pool=pool, workspace=workspace, cells=cells, log=log)
        store = RunStore(workspace)
        for pool_seeds, candidates in pools_of(store, pair, ids):
            networks |= {store.result(c.run_id)["info"]["model"]["name"] for c in candidates.candidates}
            ranking = rank(candidates, SelectionSettings())
            rows.append({"source": pair[0], "target": pair[1], "seeds": pool_seeds, **judge_ranking(ranking)})
    regrets = [r["regret"] for r in rows]
    return {
        "pairs": [list(p) for p in pairs],
        "seeds": list(seeds),
        "epochs": epochs,
        "network": ", ".join(sorted(networks)),
        "pool": [{"methods": list(m), "params": p} for m, p in POOL[: pool or None]],
        "settings": SelectionSettings().to_dict(),
        "rows": rows,
        "mean_regret": statistics.fmean(regrets) if regrets else None,
    }
