"""The parts of the benchmark: what each measures, in which order, and how an interrupted run resumes.

A part with its own cells (``celled``: one per training run) resumes run by run; every other part is
one cell, keyed by the plan and the library versions, so ``--resume`` skips it once it has finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import ROOT, app_start, machine, photos, speed_diagnose, speed_mmd, speed_training, sweep
from bench.accuracy import run_accuracy
from bench.ceiling import measure_ceiling
from bench.cells import Cells
from bench.explain_cases import run_explain_cases
from bench.label_shift import run_label_shift
from bench.plan import Plan
from bench.selection import run_selection
from bench.time_to_good import run_time_to_good
from bench.user_pools import run_user_pools

Log = Callable[[str], None]


@dataclass(frozen=True)
class Context:
    """What every part runs with."""

    plan: Plan
    workspace: Path
    cells: Cells
    command: str
    log: Log


@dataclass(frozen=True)
class Part:
    """One part: the results keys it writes, how to measure it, whether it keeps its own cells."""

    name: str
    keys: tuple[str, ...]
    measure: Callable[[Context], dict[str, Any]]
    celled: bool = False


def _accuracy(ctx: Context) -> dict[str, Any]:
    accuracy = run_accuracy(ctx.plan, ctx.workspace, ctx.cells, ctx.log)
    return {"accuracy": accuracy, "throughput": speed_training.throughput(accuracy)}


def _mmd(ctx: Context) -> dict[str, Any]:
    plan = ctx.plan
    speed = speed_mmd.run_mmd_speed(
        plan.mmd_sizes, plan.mmd_dims, plan.permutations, plan.mmd_budget_s, ctx.log
    )
    return {"mmd_speed": speed}


def _diagnose(ctx: Context) -> dict[str, Any]:
    pair = ctx.plan.diagnose_pair
    ctx.log(f"diagnose {pair[0]} -> {pair[1]}")
    diag = speed_diagnose.measure_diagnose(
        pair, ctx.workspace, ctx.plan.permutations, cli=ctx.plan.diagnose_cli
    )
    return {"diagnose": diag}


def _adapt_run(ctx: Context) -> dict[str, Any]:
    plan = ctx.plan
    ctx.log(f"timed {plan.adapt_run_epochs}-epoch run of {plan.adapt_run_method}")
    return {
        "adapt_run": speed_training.timed_run(
            *plan.diagnose_pair, plan.adapt_run_method, plan.adapt_run_epochs, ctx.workspace
        )
    }


def _app(ctx: Context) -> dict[str, Any]:
    ctx.log("app cold start")
    if not ctx.plan.app_start:
        return {"app_start": {"status": "not measured", "note": f"skipped in mode {ctx.plan.mode}"}}
    return {"app_start": app_start.measure_cold_start(ROOT)}


def _selection(ctx: Context) -> dict[str, Any]:
    plan = ctx.plan
    selection = run_selection(
        plan.selection_pairs,
        plan.selection_seeds,
        plan.selection_epochs,
        pool=plan.selection_pool,
        cells=ctx.cells,
        log=ctx.log,
    )
    return {"selection": selection}


def _label_shift(ctx: Context) -> dict[str, Any]:
    plan = ctx.plan
    shift = run_label_shift(
        plan.label_shift_seeds,
        plan.label_shift_epochs,
        ctx.workspace,
        ctx.log,
        pairs=plan.label_shift_pairs,
        profiles=plan.label_shift_profiles,
    )
    return {"label_shift": shift}


def _sweep(ctx: Context) -> dict[str, Any]:
    plan = ctx.plan
    measured = sweep.measure_sweep(
        plan.diagnose_pair,
        plan.sweep_trials,
        plan.sweep_epochs,
        ctx.workspace / "sweep",
        ctx.log,
        import_rounds=plan.sweep_import_rounds,
    )
    return {"sweep": measured | {"command": ctx.command, "date": machine.machine_facts()["date"]}}


ALL: tuple[Part, ...] = (
    Part("accuracy", ("accuracy", "throughput"), _accuracy, celled=True),
    Part("ceiling", ("ceiling",), lambda ctx: {"ceiling": measure_ceiling(ctx.plan, ctx.workspace, ctx.log)}),
    Part(
        "time_to_good",
        ("time_to_good",),
        lambda ctx: {"time_to_good": run_time_to_good(ctx.plan, ctx.workspace, ctx.cells, ctx.log)},
        celled=True,
    ),
    Part("mmd", ("mmd_speed",), _mmd),
    Part("diagnose", ("diagnose",), _diagnose),
    Part("adapt_run", ("adapt_run",), _adapt_run),
    Part("app", ("app_start",), _app),
    Part("selection", ("selection",), _selection, celled=True),
    Part(
        "user_pools",
        ("user_pools",),
        lambda ctx: {"user_pools": run_user_pools(ctx.plan, ctx.cells, ctx.log)},
        celled=True,
    ),
    Part("label_shift", ("label_shift",), _label_shift),
    Part(
        "explain", ("explain",), lambda ctx: {"explain": run_explain_cases(ctx.plan, ctx.workspace, ctx.log)}
    ),
    Part(
        "photos",
        ("photos",),
        lambda ctx: {
            "photos": photos.measure_photos(
                ctx.plan.photos, ctx.plan.photo_size, ctx.workspace / "photos", ctx.log
            )
        },
    ),
    Part("sweep", ("sweep",), _sweep),
)
PARTS = tuple(part.name for part in ALL)
DEFAULT_PARTS = PARTS[:-1]  # the sweep part (an hour at full size) runs only when named (or with "all")
PART_KEYS = {part.name: part.keys for part in ALL}  # the results keys each part writes


def run(ctx: Context, parts: set[str]) -> dict[str, Any]:
    """Every part in ``parts``, in :data:`PARTS` order: their results, and ``part_seconds``, each
    part's wall time (the original one, ``reused``, for a part taken whole from the state folder)."""
    results: dict[str, Any] = {}
    timings: dict[str, dict[str, Any]] = {}
    versions = machine.versions()
    for part in (p for p in ALL if p.name in parts):
        ctx.log(f"part {part.name}")
        if part.celled:
            start = time.perf_counter()
            results |= part.measure(ctx)
            timings[part.name] = {"seconds": time.perf_counter() - start, "reused": False}
            continue
        key = {"kind": "part", "part": part.name, "plan": asdict(ctx.plan), "versions": versions}
        stored = ctx.cells.get(key)
        reused = stored is not None
        if stored is None:
            stored = ctx.cells.get_or_run(key, lambda part=part: _timed(part, ctx))
        results |= stored["results"]
        timings[part.name] = {"seconds": stored["seconds"], "reused": reused}
    return results | {"part_seconds": timings}


def _timed(part: Part, ctx: Context) -> dict[str, Any]:
    start = time.perf_counter()
    results = part.measure(ctx)
    return {"results": results, "seconds": time.perf_counter() - start}
