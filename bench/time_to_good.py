"""Time to a good model: wall time from a run's start until its target accuracy is within a point
of its final value, for the recommended recipe on its own budget and on today's budget; and how long
the recipe runs, and what it gives, when it stops once its target predictions settle (no labels).

Today's budget is the recipe's methods and parameters with :data:`bench.plan.BASELINE_BUDGET`
(AdaptConfig's defaults before issue 14) and every other field at its default. Each (budget, seed)
is one ``run_adaptation`` with no baseline cache, as a person's first run (data, source-only
baseline, adaptation), its progress events timed on arrival (:class:`bench.accuracy.EventClock`);
the budgets of a seed run back to back in this process. The curve is the training stage's
per-epoch target test accuracy (the epoch events' ``target_accuracy``: the target's labels score,
never train). Its final value is the last epoch's; the time to a good model is the arrival of the
first epoch from which every later one stays at or above final - ``MARGIN``; the full time is the
arrival of the last epoch (training done, before the evaluation). Each (config, seed) is a cell: when
the recommended budget is today's, one run serves both.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any

import torch

from bench import machine
from bench.accuracy import EventClock, training_stage
from bench.cells import Cells, config_key
from bench.plan import BASELINE_BUDGET, Plan
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.workspace import Workspace

Log = Callable[[str], None]
MARGIN = 0.01  # "within 1 point of its final accuracy"
SETTLE_TOL = 0.005  # the settling tolerance screened in docs/defaults.md ("Stopping once settled")
BUDGETS = ("recommended", "today", "settled")
MEANS = ("seconds_to_good", "seconds_to_last_epoch", "final", "accuracy")  # per budget, over seeds


def budget_configs(source: str, target: str, seed: int, epochs: int | None = None) -> dict[str, AdaptConfig]:
    """The recommended recipe's config on its own budget, on today's, and on its own stopping once its
    target predictions settle (``settle_tol`` :data:`SETTLE_TOL`, :mod:`tlcore.stopping`); ``epochs``
    replaces every budget's epochs, of both stages."""
    recommended = RECOMMENDED.config(source, target, seed=seed)
    today = AdaptConfig(
        source=source,
        target=target,
        methods=recommended.methods,
        params=recommended.params,
        seed=seed,
        **asdict(BASELINE_BUDGET),
    )
    settled = replace(recommended, settle_tol=SETTLE_TOL)
    configs = {"recommended": recommended, "today": today, "settled": settled}
    if epochs:
        configs = {name: replace(cfg, epochs=epochs, adapt_epochs=None) for name, cfg in configs.items()}
    return configs


def time_to_within(curve: list[tuple[float, float]], margin: float = MARGIN) -> tuple[float, int] | None:
    """``(seconds, epoch index)`` of the first point of ``curve`` (``(seconds, accuracy)`` per epoch)
    from which every accuracy stays at or above the last one minus ``margin``; None for no points."""
    if not curve:
        return None
    final = curve[-1][1]
    first = len(curve) - 1
    while first > 0 and curve[first - 1][1] >= final - margin:
        first -= 1
    return curve[first][0], first


def curve_of(clock: EventClock, start: float, stage: str) -> list[tuple[float, float]]:
    """``(seconds since start, target accuracy)`` at each epoch event of ``stage``."""
    return [
        (t - start, e.metrics["target_accuracy"])
        for t, e in clock.events
        if e.kind == "epoch" and e.stage == stage and "target_accuracy" in e.metrics
    ]


def timed_run(cfg: AdaptConfig, workspace: Workspace, log: Log) -> dict[str, Any]:
    """One run of ``cfg`` from an empty baseline cache: its accuracy curve against wall time."""
    log(f"time to a good model: {cfg.method_label}, {cfg.budget_text}, seed {cfg.seed}")
    clock = EventClock()
    load = machine.load_average()[0]
    start = time.perf_counter()
    result = run_adaptation(cfg, workspace, on_event=clock, baseline_cache=False)
    seconds = time.perf_counter() - start
    curve = curve_of(clock, start, training_stage(cfg.methods)[0])
    good = time_to_within(curve)
    return {
        "seed": cfg.seed,
        "status": result.status,
        "epochs": cfg.epochs,
        "budget": cfg.budget_text,
        "network": result.info.get("model", {}).get("name"),
        "curve": [list(point) for point in curve],
        "final": curve[-1][1] if curve else None,
        "accuracy": result.target_accuracy,
        "seconds_to_good": good[0] if good else None,
        "epoch_to_good": good[1] + 1 if good else None,
        "seconds_to_last_epoch": curve[-1][0] if curve else None,
        "epochs_trained": len(curve),
        "seconds": seconds,
        "load": [load, machine.load_average()[0]],
        "date": machine.machine_facts()["date"],
    }


def _finished(row: dict[str, Any]) -> bool:
    return row["status"] in ("done", "stopped_early")


def _mean(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.fmean(values) if values else None


def summarise_time_to_good(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per budget the means over seeds; the ratio recommended time to good / today's full time
    (of the means, and per seed); the settled runs' time to their last epoch / the recommended
    recipe's and their accuracy (after the whole run) minus its, when both were run."""
    budgets = {
        name: {
            "runs": rows,
            **{key: _mean(rows, key) for key in MEANS},
        }
        for name, rows in runs.items()
    }
    good, full = budgets["recommended"]["seconds_to_good"], budgets["today"]["seconds_to_last_epoch"]
    per_seed = [
        r["seconds_to_good"] / t["seconds_to_last_epoch"]
        for r, t in zip(runs["recommended"], runs["today"], strict=True)
        if r.get("seconds_to_good") is not None and t.get("seconds_to_last_epoch")
    ]
    return {
        "budgets": budgets,
        "ratio": good / full if good is not None and full else None,
        "ratio_per_seed": per_seed,
        **settled_summary(runs),
    }


def settled_summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """``settled_ratio`` (time to the last epoch, settled / recommended, of the means) and
    ``settled_accuracy_change`` (mean whole-run accuracy, settled minus recommended); {} without them."""
    settled, full = runs.get("settled"), runs.get("recommended")
    if not settled or not full:
        return {}
    time_settled, time_full = _mean(settled, "seconds_to_last_epoch"), _mean(full, "seconds_to_last_epoch")
    acc_settled, acc_full = _mean(settled, "accuracy"), _mean(full, "accuracy")
    return {
        "settle_tol": SETTLE_TOL,
        "settled_ratio": time_settled / time_full if time_settled is not None and time_full else None,
        "settled_accuracy_change": acc_settled - acc_full
        if acc_settled is not None and acc_full is not None
        else None,
    }


def run_time_to_good(plan: Plan, workspace: Path, cells: Cells, log: Log) -> dict[str, Any]:
    """Every (budget, seed) of the plan, each a cell, and their summary."""
    source, target = plan.time_to_good_pair
    ws = Workspace.resolve(workspace)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in BUDGETS}
    for seed in plan.time_to_good_seeds:
        configs = budget_configs(source, target, seed, plan.time_to_good_epochs)
        for name in BUDGETS:
            key = {"kind": "time_to_good", "config": config_key(configs[name])}  # equal budgets: one run
            row = cells.get_or_run(key, partial(timed_run, configs[name], ws, log), keep=_finished)
            runs[name].append(row)
    return {
        "source": source,
        "target": target,
        "recipe": RECOMMENDED.label,
        "seeds": list(plan.time_to_good_seeds),
        "margin": MARGIN,
        "threads": torch.get_num_threads(),
        **summarise_time_to_good(runs),
    }
