"""Whole ``diagnose`` of one pair: features, MMD² + permutation p-value, CORAL, A-distance, per-class, UMAP,
and its explanation (image statistics, findings, checked fixes, verdict).

Three figures: the first in-process call (what a person's first click costs once the data is
loaded: it includes one-time costs such as UMAP's numba compilation), a second call (warm), and the
CLI ``python -m tlcore diagnose --json --no-cache`` in a fresh process (interpreter and imports
included; computed, not read from the workspace cache).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.probe import probe
from tlcore.data import harmonise, load_domain
from tlcore.diagnosis import diagnose
from tlcore.diagnosis_settings import UMAP_POINTS, GapSettings
from tlcore.explain.explanation import explain
from tlcore.workspace import Workspace


def _cli(source: str, target: str, workspace: Path, permutations: int) -> dict[str, Any]:
    """Wall time of the CLI in a fresh interpreter (``not measured`` when it has no diagnose command)."""
    command = [
        sys.executable,
        "-m",
        "tlcore",
        "--workspace",
        str(workspace),
        "diagnose",
        "--source",
        source,
        "--target",
        target,
        "--permutations",
        str(permutations),
        "--json",
        "--no-cache",  # computed, not read from an earlier run's workspace cache
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=900)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "not measured", "note": f"CLI exited {done.returncode}: {last[:160]}"}
    return {"status": "measured", "seconds": seconds}


def measure_diagnose(
    pair: tuple[str, str], workspace: Path, permutations: int, cli: bool = True
) -> dict[str, Any]:
    """Timings of ``diagnose`` on ``pair`` (raw features, default settings, seed 0) with its breakdown.

    ``cli=False`` skips the fresh-process CLI timing.
    """
    ws = Workspace.resolve(workspace)
    with probe() as loading:
        source, target = harmonise(load_domain(pair[0], ws, seed=0), load_domain(pair[1], ws, seed=0))
    runs = []
    for _ in range(2):
        with probe() as p:
            report = diagnose(source, target, settings=GapSettings(n_permutations=permutations, seed=0))
            explanation = explain(source, target, workspace=ws, gap=report.gap)
        steps = {k: v for k, v in report.seconds.items() if k != "total"}
        runs.append(
            {
                "seconds": p.seconds,
                "steps": {**steps, "explain": explanation.seconds["total"], "total": p.seconds},
            }
        )
    return {
        "pair": list(pair),
        "n_source": report.gap.n_source,
        "n_target": report.gap.n_target,
        "feature_space": report.feature_space,
        "permutations": permutations,
        "umap_points": UMAP_POINTS,
        "p_value": report.gap.p_value,
        "mmd2": report.gap.mmd2,
        "a_distance": report.gap.a_distance,
        "load_seconds": loading.seconds,
        "first": runs[0],
        "warm": runs[1],
        "cli": _cli(pair[0], pair[1], workspace, permutations)
        if cli
        else {"status": "not measured", "note": "skipped in this mode"},
    }
