"""The benchmark's sweep part: its sizes, and one tiny run of it end to end (sequential, local, ray)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.sweep import sweep_spec
from tests.worker_start import record_worker_start
from tlcore.runs.slots import THREAD_VARIABLES
from tlcore.runs.sweep import expand

ROOT = Path(__file__).resolve().parents[2]


SIZES = [(24, 4, 3), (100, 4, 3), (8, 4, 1), (4, 2, 1), (2, 1, 1)]  # trials asked, weights, seeds


@pytest.mark.parametrize(("trials", "weights", "seeds"), SIZES)
def test_the_sweep_is_two_compositions_x_weights_x_seeds(trials: int, weights: int, seeds: int) -> None:
    spec = sweep_spec(("mnist5k", "digits"), trials, epochs=5)
    assert len(expand(spec)) == 2 * weights * seeds
    assert [len(d.values) for d in spec.space.dims.values()] == [weights, weights]
    assert list(spec.space.dims) == ["deep_coral.weight", "dann.weight"] and len(spec.seeds) == seeds
    assert spec.budget == {"epochs": 5}


@pytest.mark.slow  # two tiny trials three ways, Ray's start-up included
def test_the_sweep_part_runs_three_ways_and_reports_them(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench", "--smoke", "--only", "sweep", "--out", str(tmp_path)]
    command += ["--state", str(tmp_path / "state")]  # never the repository's .bench-state
    # the ways' own thread counts: a caller's OMP_NUM_THREADS=1 gave the local workers 1 and Ray's 2 (QA)
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    done = subprocess.run(
        [*command, "--workspace", str(record_worker_start(tmp_path / "ws"))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sweep = json.loads((tmp_path / "benchmarks.json").read_text())["sweep"]
    assert sweep["trials"] == 2 and sweep["same_numbers"] is True
    for way in ("sequential", "local", "ray"):
        assert sweep[way]["done"] == 2 and math.isfinite(sweep[way]["overhead_s"])
    assert sweep["ray"]["start_s"] > 0 and sweep["ray"]["payload_mib"] > 0
    assert [p["nodes"] for p in sweep["projection"]] == [1, 2]
    markdown = (tmp_path / "benchmarks.md").read_text()
    assert "\n## Sweeps\n" in markdown and "| `ray` executor |" in markdown
