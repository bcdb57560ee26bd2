"""``adapt`` run inline computes with a launched worker's thread count, so the CLI reproduces the
app's numbers: QA read source accuracy 0.887 from the CLI and 0.875 from the app, same recipe, seed 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from tlcore.runs import jobs
from tlcore.runs.slots import match_worker_threads, worker_threads
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
THREAD_VARS = ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_WAIT_POLICY")
CORES = os.cpu_count() or 1
TINY = ["--source", "mnist5k:n=300", "--target", "digits:n=150", "--method", "dann", "--epochs", "1"]


def test_inline_threads_follow_the_workers_share_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("OMP_NUM_THREADS", "3")  # torch read it when it loaded; a worker inherits it
        torch.set_num_threads(2)
        match_worker_threads(1)
        assert torch.get_num_threads() == 2
        for name in THREAD_VARS:
            monkeypatch.delenv(name, raising=False)
        match_worker_threads(CORES)
        assert torch.get_num_threads() == worker_threads(CORES) == 1
        assert (os.environ["NUMBA_NUM_THREADS"], os.environ["OMP_WAIT_POLICY"]) == ("1", "PASSIVE")
    finally:
        torch.set_num_threads(before)


def stored(workspace: Workspace, run_id: str) -> dict[str, Any]:
    """The run's result without its timings."""
    result = RunStore(workspace).result(run_id)
    result.pop("seconds")
    result["info"].pop("seconds_per_stage")
    return result


@pytest.mark.slow
@pytest.mark.skipif(CORES < 2, reason="one core: every process computes with one thread")
def test_an_inline_run_gives_the_numbers_of_a_launched_worker(tmp_path: Path) -> None:
    """Unset OMP_NUM_THREADS, a cap of one run per core: a worker computes with 1 thread, torch's
    default in the CLI was every core, and the numbers moved (the source accuracy among them)."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    env |= {"TLSTUDIO_MAX_RUNNING": str(CORES), "PYTHONPATH": str(REPO)}
    ids = {}
    for how in ("inline", "detach"):
        workspace = Workspace.resolve(tmp_path / how)  # apart: the second run must not reuse the baseline
        argv = [sys.executable, "-m", "tlcore", "--workspace", str(workspace.root), "adapt", *TINY, "--json"]
        done = subprocess.run(
            argv + ["--detach"] * (how == "detach"),
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        ids[how] = workspace, json.loads(done.stdout)["run_id"]
    record = jobs.wait(*ids["detach"], timeout=300)
    assert record.status == "done", record.error
    inline, launched = stored(*ids["inline"]), stored(*ids["detach"])
    assert inline["source_accuracy"] == launched["source_accuracy"]
    assert inline == launched
