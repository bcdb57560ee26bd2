"""``adapt`` run inline computes with a launched worker's thread count, so the CLI reproduces the
app's numbers: QA read source accuracy 0.887 from the CLI and 0.875 from the app, same recipe, seed 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest
import torch

from tests.worker_start import record_worker_start
from tlcore.runs import jobs
from tlcore.runs.slots import THREAD_VARIABLES, worker_thread_share, worker_threads
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
CORES = os.cpu_count() or 1
TINY = ["--source", "mnist5k:n=300", "--target", "digits:n=150", "--method", "dann", "--epochs", "1"]


def test_inline_threads_follow_the_workers_share_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """Within: a worker's count (torch's now, Numba's when UMAP loads it); after: the caller's again."""
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        monkeypatch.setenv("OMP_NUM_THREADS", "3")  # torch read it when it loaded; a worker inherits it
        with worker_thread_share(1):
            assert torch.get_num_threads() == 2
        for name in THREAD_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        with worker_thread_share(CORES):
            assert torch.get_num_threads() == worker_threads(CORES) == 1
            assert [os.environ[name] for name in THREAD_VARIABLES] == ["1", "1", "PASSIVE"]
        assert torch.get_num_threads() == 2
        assert not set(THREAD_VARIABLES) & set(os.environ)
    finally:
        torch.set_num_threads(before)


def stored(workspace: Workspace, run_id: str) -> dict[str, Any]:
    """The run's result without its timings."""
    result = RunStore(workspace).result(run_id)
    result.pop("seconds")
    result.pop("load_seconds")
    result["info"].pop("seconds_per_stage")
    return result


@pytest.mark.slow
@pytest.mark.skipif(CORES < 2, reason="one core: every process computes with one thread")
def test_an_inline_run_gives_the_numbers_of_a_launched_worker(tmp_path: Path) -> None:
    """Unset OMP_NUM_THREADS, a cap of one run per core: a worker computes with 1 thread, torch's
    default in the CLI was every core, and the numbers moved (the source accuracy among them)."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env |= {"TLSTUDIO_MAX_RUNNING": str(CORES), "PYTHONPATH": str(REPO)}
    processes = {}
    for how in ("inline", "detach"):  # side by side: one thread each, on two or more cores
        workspace = Workspace.resolve(record_worker_start(tmp_path / how))  # apart: no shared baseline
        argv = [sys.executable, "-m", "tlcore", "--workspace", str(workspace.root), "adapt", *TINY, "--json"]
        argv += ["--detach"] * (how == "detach")
        processes[how] = workspace, subprocess.Popen(argv, env=env, stdout=PIPE, stderr=PIPE, text=True)
    ids = {}
    for how, (workspace, process) in processes.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        ids[how] = workspace, json.loads(stdout)["run_id"]
    record = jobs.wait(*ids["detach"], timeout=300)
    assert record.status == "done", record.error
    inline, launched = stored(*ids["inline"]), stored(*ids["detach"])
    assert inline["source_accuracy"] == launched["source_accuracy"]
    assert inline == launched
