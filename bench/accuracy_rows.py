"""A task's rows and their summary over seeds: which method rows a plan has, and each row's mean ±
std for tlcore, skada's counterpart (and, for DANN and CDAN, skada with a working domain
classifier) with their difference, the recipes, the oracle and fine-tuning."""

from __future__ import annotations

import json
import statistics
from typing import Any

from bench import skada_methods
from bench.plan import Plan
from tlcore.methods import get_method, list_methods


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and sample standard deviation of the runs' accuracies (std None below two runs)."""
    values = [r["accuracy"] for r in runs if r.get("accuracy") is not None]
    return {
        "runs": runs,
        "mean": statistics.fmean(values) if values else None,
        "std": statistics.stdev(values) if len(values) > 1 else None,
    }


def composition(name: str) -> tuple[str, ...]:
    """A method row's methods: ``"source_only+prior_correction"`` -> its two names."""
    return tuple(part.strip() for part in name.split("+") if part.strip())


def method_names(plan: Plan) -> list[str]:
    """The plan's method rows, source_only first: each a registered method or a composition (``a+b``).

    Empty ``plan.methods``: every registered method but the oracle, each alone, whatever its kind: a
    baseline or stage builds the model, a term or a weighting trains with the source-only loss, a
    transform alone transforms the source-only baseline (all valid for
    :func:`tlcore.methods.check_combination`).
    """
    names = list(plan.methods) or [s.name for s in list_methods() if s.name != plan.oracle]
    names.sort(key=lambda name: name != "source_only")  # it trains (and times) the shared baseline
    return names


def _method_entry(
    name: str,
    ours: list[dict[str, Any]],
    theirs: list[dict[str, Any]] | None,
    skada_status: str,
    theirs_working: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """tlcore's summary for one method, skada's counterpart's (or why not) and their difference; for
    DANN and CDAN also skada's with a working domain classifier (``skada_working``, ``diff_working``)."""
    entry: dict[str, Any] = {
        "tlcore": summarise(ours),
        "needs_target_labels": any(get_method(part).needs_target_labels for part in composition(name)),
    }
    if theirs is None:
        return entry
    counterpart = skada_methods.COUNTERPARTS[name]
    skada = summarise(theirs) if skada_status == "ok" else {"status": skada_status}
    entry["skada"] = {"name": counterpart, **skada}
    mine = entry["tlcore"]["mean"]
    entry["diff"] = _difference(mine, skada.get("mean"))
    if theirs_working:
        entry["skada_working"] = {"name": counterpart, **summarise(theirs_working)}
        entry["diff_working"] = _difference(mine, entry["skada_working"]["mean"])
    runs = ours + theirs + (theirs_working or [])
    networks = {json.dumps(r["network"], sort_keys=True) for r in runs if r.get("network")}
    entry["same_network"] = len(networks) <= 1
    return entry


def _difference(mine: float | None, other: float | None) -> float | None:
    return mine - other if mine is not None and other is not None else None


def _recipe_entry(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A recipe's summary with the config of its runs but the seed (for the app's quote)."""
    configs = [{k: v for k, v in (r.get("config") or {}).items() if k != "seed"} for r in runs]
    same = bool(configs) and all(configs) and all(c == configs[0] for c in configs)
    return summarise(runs) | {"config": configs[0] if same else None}


def combine_seeds(
    plan: Plan, source: str, target: str, per_seed: list[dict[str, Any]], skada_status: str
) -> dict[str, Any]:
    """One task's summary (mean ± std per method, recipe and the oracle) from its seeds' rows."""
    names = method_names(plan)
    paired = {n for n in names if n in skada_methods.COUNTERPARTS}
    ours = {name: [seed["ours"][name] for seed in per_seed] for name in names}
    theirs = {name: [seed["theirs"][name] for seed in per_seed if name in seed["theirs"]] for name in paired}
    working = {
        name: [seed["theirs_working"][name] for seed in per_seed if name in seed["theirs_working"]]
        for name in paired
    }
    models = {run.get("model") for runs in ours.values() for run in runs} - {None}
    oracle = [seed["oracle"] for seed in per_seed if seed["oracle"] is not None]
    return {
        "source": source,
        "target": target,
        "model": ", ".join(sorted(models)) or None,
        "methods": {n: _method_entry(n, ours[n], theirs.get(n), skada_status, working.get(n)) for n in names},
        "recipes": {r: _recipe_entry([seed["recipes"][r] for seed in per_seed]) for r in plan.recipes},
        "oracle": {"name": plan.oracle, **summarise(oracle)} if plan.oracle else None,
        "few_shot": {
            str(k): summarise([seed["few_shot"][str(k)] for seed in per_seed]) for k in plan.few_shot
        },
        "recipe_labels": {
            str(k): summarise([seed["recipe_labels"][str(k)] for seed in per_seed])
            for k in plan.recipe_labels
        },
    }
