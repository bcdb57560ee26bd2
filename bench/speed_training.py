"""Training speed: samples/s per method (tlcore vs skada, from the accuracy runs) and one timed run.

Throughput counts every sample the network sees per optimisation step (a source batch, plus a
target batch for methods that use one) over the training loop's time: for tlcore between step
events within an epoch (epoch-end scoring excluded), for skada skorch's per-epoch durations. The
timed run is one whole ``run_adaptation`` (data, baseline, adaptation, evaluation) with an empty
baseline cache, as a person's first run would be.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench.probe import probe
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.workspace import Workspace


def _median(runs: list[dict[str, Any]]) -> float | None:
    values = [r["samples_per_s"] for r in runs if r.get("samples_per_s")]
    return statistics.median(values) if values else None


def throughput(accuracy: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per task and method: median samples/s over seeds, tlcore and skada, and their ratio."""
    rows = []
    for task in accuracy.get("tasks", []):
        for name, entry in task["methods"].items():
            ours = _median(entry["tlcore"]["runs"])
            skada = entry.get("skada", {})
            theirs = _median(skada.get("runs", []))
            rows.append(
                {
                    "task": f"{task['source']} → {task['target']}",
                    "network": task.get("model"),
                    "method": name,
                    "tlcore": ours,
                    "skada_name": skada.get("name"),
                    "skada": theirs,
                    "skada_status": skada.get("status", "ok" if skada else None),
                    "ratio": ours / theirs if ours and theirs else None,
                }
            )
    return rows


def timed_run(source: str, target: str, methods: str, epochs: int, workspace: Path) -> dict[str, Any]:
    """Wall time of one adaptation run with ``epochs`` epochs (baseline trained, not cached)."""
    cfg = AdaptConfig(source=source, target=target, methods=tuple(methods.split("+")), epochs=epochs)
    with probe() as p:
        result = run_adaptation(cfg, Workspace.resolve(workspace), baseline_cache=False)
    return {
        "source": source,
        "target": target,
        "method": methods,
        "epochs": epochs,
        "status": result.status,
        "seconds": p.seconds,
        "stages": dict(result.info.get("seconds_per_stage", {})),
        "target_accuracy": result.target_accuracy,
    }
