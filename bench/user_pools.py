"""Choosing a run on a user's pool: a source-only run and the recommended recipe, ranked by the rule.

A user's usual pool (docs/prereg_user_pools.md) is ``adapt --method source_only --seed N`` and
``adapt --recipe recommended --seed N`` alone in a workspace. Per task of the plan and seed, one
workspace under the bench state (``<state>/user-pools/<task and seed>``) holds those two runs,
configured as the CLI configures them (:func:`user_configs`: the engine's defaults, the recipe's own
methods, parameters and budget), each a cell (:mod:`bench.cells`) holding its run id, so an
interrupted part resumes without retraining. The pool is ranked as ``runs rank`` ranks it
(``rank(load_pool(...))`` under the default settings) and the choice judged with the target labels
(:func:`bench.selection.judge_ranking`): the choice (the recipe, the source-only run, or keeping the
source-only model), its regret, the alarms, whether EnsV's ensemble was outvoted
(:func:`tlcore.selection.pool.outvoted`: it then ranks by another validator) and the validator that
ranked.

The full preset trains both runs on their own budgets (the plan's ``epochs`` never applies here);
``Plan.user_pools_epochs`` (the smoke and quick presets) replaces both runs' epochs, the recipe's
source-only and adapt stages alike, on the plan's small tasks (their ``n=``), for a run of seconds.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench.cells import Cells, config_key
from bench.plan import Plan
from bench.selection import judge_ranking
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.metrics.accuracy_change import shown_points
from tlcore.runs import jobs
from tlcore.runs.candidates import load_pool
from tlcore.runs.store import RunStore
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.pool import outvoted
from tlcore.selection.ranking import Ranking, rank
from tlcore.workspace import Workspace

Log = Callable[[str], None]
SOURCE_ONLY = "source_only"
MISSED = 3.0  # points: a pool "misses" the recipe when it keeps source-only and the recipe is this far above
CHOICES = {"recipe": "the recipe", "source_only": "the source-only run", "keep": "keep the source-only model"}


def user_configs(source: str, target: str, seed: int, epochs: int | None = None) -> dict[str, AdaptConfig]:
    """The two runs of a user's pool as ``adapt --method source_only --seed N`` and ``adapt --recipe
    recommended --seed N`` configure them; ``epochs`` (tiny presets) replaces every stage's epochs."""
    configs = {
        SOURCE_ONLY: AdaptConfig(source=source, target=target, methods=(SOURCE_ONLY,), seed=seed),
        "recipe": RECOMMENDED.config(source, target, seed=seed),
    }
    if epochs:
        configs = {name: replace(cfg, epochs=epochs, adapt_epochs=None) for name, cfg in configs.items()}
    return configs


def folder_name(source: str, target: str, seed: int) -> str:
    """A file-safe, unique folder name of a task and seed (a spec's ``:,=`` replaced, a short hash)."""
    text = f"{source} -> {target}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9.-]+', '_', text)[:60]}-{digest}-seed{seed}"


def train_user_pool(
    workspace: Workspace, configs: dict[str, AdaptConfig], cells: Cells, log: Log
) -> dict[str, dict[str, Any]]:
    """Each config as a run in ``workspace`` (or its finished cell): ``{name: {run_id, status, error}}``."""
    rows = {}
    for name, config in configs.items():

        def run(config: AdaptConfig = config, name: str = name) -> dict[str, Any]:
            log(f"user pool: {name} seed {config.seed}: {config.source} -> {config.target}")
            record = jobs.run_inline(workspace, config)
            return {"run_id": record.id, "status": record.status, "error": record.error}

        key = {"kind": "user_pool", "workspace": str(workspace.root), "config": config_key(config)}
        rows[name] = cells.get_or_run(key, run, keep=lambda row: row["status"] in ("done", "failed"))
    return rows


def judge_user_pool(ranking: Ranking, ids: dict[str, str]) -> dict[str, Any]:
    """The ranking of a user's pool judged (:func:`~bench.selection.judge_ranking`), with both runs'
    target accuracies, which of them the rule chose (``recipe``, ``source_only`` or ``keep``), the
    alarms raised, whether the ensemble was outvoted and the validator that ranked."""
    judged = judge_ranking(ranking)
    accuracy = {e.run_id: e.alarm.target_accuracy for e in ranking.entries}
    by_id = {run_id: name for name, run_id in ids.items()}
    return judged | {
        "source_only_run_accuracy": accuracy.get(ids[SOURCE_ONLY]),
        "recipe_accuracy": accuracy.get(ids["recipe"]),
        "choice": by_id[ranking.recommended] if ranking.recommended else "keep",
        "alarms": sorted(by_id.get(e.run_id, e.run_id) for e in ranking.entries if e.alarm.raised),
        "outvoted": outvoted(ranking.ensemble),
        "validator": ranking.settings.validator,
        "asked": ranking.asked,
    }


def missed(row: dict[str, Any]) -> bool:
    """Whether the pool kept a source-only model while the recipe is :data:`MISSED` points or more
    above the source-only run (as shown: :func:`~tlcore.metrics.accuracy_change.shown_points`)."""
    recipe, plain = row["recipe_accuracy"], row["source_only_run_accuracy"]
    return row["choice"] != "recipe" and None not in (recipe, plain) and shown_points(recipe, plain) >= MISSED


def run_user_pools(plan: Plan, cells: Cells, log: Log) -> dict[str, Any]:
    """Every task and seed of the plan: its user's pool trained (or resumed), ranked and judged."""
    rows, failed, networks = [], [], set()
    for source, target in plan.tasks:
        for seed in plan.seeds:
            workspace = Workspace.resolve(cells.folder / "user-pools" / folder_name(source, target, seed))
            configs = user_configs(source, target, seed, plan.user_pools_epochs)
            runs = train_user_pool(workspace, configs, cells, log)
            where = {"source": source, "target": target, "seed": seed}
            if any(r["status"] != "done" for r in runs.values()):
                errors = {name: r["error"] for name, r in runs.items() if r["status"] != "done"}
                failed.append(where | {"errors": errors})
                continue
            store = RunStore(workspace)
            networks |= {store.result(r["run_id"])["info"]["model"]["name"] for r in runs.values()}
            ranking = rank(load_pool(store, source, target), SelectionSettings())
            ids = {name: r["run_id"] for name, r in runs.items()}
            rows.append(where | judge_user_pool(ranking, ids))
    regrets = [r["regret"] for r in rows]
    return {
        "tasks": [list(t) for t in plan.tasks],
        "seeds": list(plan.seeds),
        "epochs": plan.user_pools_epochs,  # None: each run's own budget
        "network": ", ".join(sorted(networks)),
        "settings": SelectionSettings().to_dict(),
        "rows": rows,
        "failed": failed,
        "mean_regret": statistics.fmean(regrets) if regrets else None,
        "n_missed": sum(missed(r) for r in rows),
    }
