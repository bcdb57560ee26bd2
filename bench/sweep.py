"""A sweep three ways: sequential in this process, the ``local`` executor, the ``ray`` executor.

The sweep is 2 compositions x W weights x S seeds (24 trials at full size: deep_coral+im and dann+im,
each term weight in 0.1, 0.3, 1, 3, seeds 0-2) on the default pair. Every way runs one trial at a
time with every core for it and the same thread settings (sequential: one fresh process,
:mod:`bench.sweep_sequential`; local: ``max_concurrent`` 1, so one worker with all the cores; ray: an
embedded cluster, one task of all the CPUs at a time), each in an empty workspace (baselines are
cached within a way, not across). So the difference of the
per-trial wall time to the pipeline's own time (``result.seconds``) is each way's overhead:

- local: a fresh worker process per trial (Python start, torch and tlcore imports, numba compiling
  UMAP's code again) plus the driver's polling;
- ray: ``ray.init`` once, then a task per trial in reused worker processes, the result, the
  checkpoint and the progress events travelling back and written by the driver.

Per-trial time counts after the start-up (``ray``: its ``ray.init``). The projected wall time on N
nodes like this one, a trial at a time each: start-up + ceil(trials / N) x the ray executor's
measured per-trial time.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.machine import load_average
from bench.probe import probe
from tlcore.runs import driver
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.executors.ray import RayExecutor
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.summary import SweepSummary
from tlcore.runs.sweep import SweepSpec, expand
from tlcore.workspace import Workspace

Log = Callable[[str], None]
COMPOSITIONS = (("deep_coral", "im"), ("dann", "im"))
WEIGHTS = (0.1, 0.3, 1.0, 3.0)
SEEDS = (0, 1, 2)
NODES = (1, 2, 4, 8, 24)


def sweep_spec(pair: tuple[str, str], trials: int, epochs: int) -> SweepSpec:
    """2 compositions x W weights x S seeds with 2 W S <= ``trials`` (24: the full 2 x 4 x 3)."""
    seeds = SEEDS if trials >= 2 * len(SEEDS) * len(WEIGHTS) else SEEDS[:1]
    weights = ",".join(f"{w:g}" for w in WEIGHTS[: max(1, min(len(WEIGHTS), trials // (2 * len(seeds))))])
    grid = [f"{methods[0]}.weight={weights}" for methods in COMPOSITIONS]
    return SweepSpec(*pair, COMPOSITIONS, Space(parse_grid(grid)), seeds=seeds, budget={"epochs": epochs})


class _TimedRay(RayExecutor):
    """The ray executor, timing its start (``ray.init`` and the progress actor)."""

    start_seconds = math.nan

    def start(self) -> None:
        started = time.perf_counter()
        super().start()
        self.start_seconds = time.perf_counter() - started


def _sequential(spec: SweepSpec, folder: Path) -> tuple[float, list[dict[str, Any]]]:
    """The trials one after the other in one fresh process (:mod:`bench.sweep_sequential`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(json.dumps(spec.to_dict()))
    args = [str(folder / "spec.json"), str(folder / "ws"), str(folder / "out.json")]
    subprocess.run([sys.executable, "-m", "bench.sweep_sequential", *args], check=True, cwd=ROOT)
    out = json.loads((folder / "out.json").read_text())
    return out["wall_s"], out["trials"]


def _numbers(result: dict[str, Any]) -> dict[str, Any]:
    return {"seconds": result["seconds"], "target_accuracy": result.get("target_accuracy")}


def _driven(summary: SweepSummary, workspace: Workspace) -> list[dict[str, Any]]:
    from tlcore.runs.store import RunStore  # noqa: PLC0415

    store = RunStore(workspace)
    return [
        {"key": row.trial.key, **_numbers(store.result(row.run.id))}
        for row in summary.trials
        if row.run is not None and row.status == "done"
    ]


def _way(wall: float, trials: list[dict[str, Any]], n: int, start: float = 0.0) -> dict[str, Any]:
    """Wall time, start-up, per-trial time after the start-up, the pipeline's own and the rest."""
    pipeline = statistics.fmean(t["seconds"] for t in trials) if trials else math.nan
    per_trial = (wall - start) / n
    return {
        "wall_s": wall,
        "start_s": start,
        "done": len(trials),
        "per_trial_s": per_trial,
        "pipeline_s": pipeline,
        "overhead_s": per_trial - pipeline,
    }


def import_seconds(rounds: int) -> float:
    """What a fresh local worker pays before it works: Python with torch and the pipeline imported
    (median of ``rounds`` fresh processes)."""
    code = "import torch, tlcore.adapt.pipeline, tlcore.runs.worker"
    times = []
    for _ in range(rounds):
        with probe() as p:
            subprocess.run([sys.executable, "-c", code], check=True)
        times.append(p.seconds)
    return statistics.median(times)


def measure_sweep(
    pair: tuple[str, str], trials: int, epochs: int, workspace: Path, log: Log, *, import_rounds: int = 3
) -> dict[str, Any]:
    """Every figure of the sweep section (see the module docstring)."""
    spec = sweep_spec(pair, trials, epochs)
    n = len(expand(spec))
    out: dict[str, Any] = {
        "pair": list(pair),
        "trials": n,
        "epochs": epochs,
        "compositions": ["+".join(c) for c in COMPOSITIONS],
        "grid": spec.space.to_dict(),
        "seeds": list(spec.seeds),
        "load_start": list(load_average()),
    }
    log(f"sweep: {n} trials sequentially in this process")
    wall, sequential = _sequential(spec, workspace / "sequential")
    out["sequential"] = _way(wall, sequential, n)

    log(f"sweep: {n} trials on the local executor")
    local_ws = Workspace.resolve(workspace / "local")
    sweep_id = driver.create(local_ws, spec, ExecutorSettings("local", max_concurrent=1))
    with probe() as p:
        local = _driven(driver.drive(local_ws, sweep_id), local_ws)
    out["local"] = _way(p.seconds, local, n)

    log(f"sweep: {n} trials on the ray executor (embedded cluster)")
    ray_ws = Workspace.resolve(workspace / "ray")
    settings = ExecutorSettings("ray", max_concurrent=1, cpus_per_trial=os.cpu_count() or 1)
    executor = _TimedRay(ray_ws, settings)
    with probe() as p:
        summary = driver.drive(ray_ws, driver.create(ray_ws, spec, settings), executor=executor)
    ray_trials = _driven(summary, ray_ws)
    out["ray"] = _way(p.seconds, ray_trials, n, executor.start_seconds) | _transfers(executor)
    out["torch_import_s"] = import_seconds(import_rounds)
    steady = out["ray"]["per_trial_s"]
    out["projection"] = [
        {"nodes": k, "seconds": executor.start_seconds + math.ceil(n / k) * steady} for k in NODES if k <= n
    ]
    accuracies = [{t["key"]: t["target_accuracy"] for t in way} for way in (sequential, local, ray_trials)]
    out["same_numbers"] = accuracies[0] == accuracies[1] == accuracies[2]  # every trial's target accuracy
    out["recommended"], out["best_in_hindsight"] = summary.recommended, summary.best_in_hindsight
    out["configs"] = [
        {
            "key": c.key,
            "target_accuracy": _stat(c.metrics.get("target_accuracy")),
            "source_accuracy": _stat(c.metrics.get("source_accuracy")),
        }
        for c in summary.configs
    ]
    out["load_end"] = list(load_average())
    return out


def _transfers(executor: _TimedRay) -> dict[str, Any]:
    """The mean cost of bringing a trial back from the ray executor."""
    trials = list(executor.trials.values())
    if not trials:
        return {}
    return {
        "payload_mib": statistics.fmean(t.payload_bytes for t in trials) / 2**20,
        "transfer_s": statistics.fmean(t.transfer_seconds for t in trials),
        "worker_s": statistics.fmean(t.worker_seconds for t in trials),
    }


def _stat(stat: Any) -> dict[str, float | None] | None:
    return None if stat is None else {"mean": stat.mean, "std": stat.std}
