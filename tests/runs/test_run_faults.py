"""Faults inside one run end that run only, with a one-line reason: out of memory, a NaN/inf loss."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import fake_workers
import pytest
from fake_workers import make_config

from tlcore.runs import jobs
from tlcore.runs.result_file import RESULT_FILE
from tlcore.runs.run_files import CHECKPOINT_FILE, LOG_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
MEMORY_REASON = re.compile(
    r"out of memory \(try a smaller batch size, fewer samples or a smaller model\): \S.*"
)


@pytest.mark.parametrize(
    ("worker", "detail"),
    [
        ("cuda_oom", "CUDA out of memory. Tried to allocate 20.00 GiB."),
        ("numpy_oom", "Unable to allocate 8.00 PiB for an array"),
        ("torch_cpu_oom", "can't allocate memory: you tried to allocate 4503599627370496 bytes"),
    ],
)
def test_out_of_memory_fails_that_run_and_the_next_one_works(
    workspace: Workspace, worker: str, detail: str
) -> None:
    """Inline, as the CLI runs them: the calling process carries on."""
    record = jobs.run_inline(workspace, make_config(), worker=f"fault_workers:{worker}")
    assert record.status == "failed"
    assert MEMORY_REASON.fullmatch(record.error) and detail in record.error, record.error
    assert "\n" not in record.error
    assert "Traceback" in (record.folder / LOG_FILE).read_text()
    assert not (record.folder / RESULT_FILE).exists()
    assert jobs.run_inline(workspace, make_config(), worker=fake_workers.quick).status == "done"


def test_out_of_memory_in_a_launched_worker(workspace: Workspace) -> None:
    failed = jobs.wait(workspace, jobs.launch(workspace, make_config(), worker="fault_workers:cuda_oom"), 60)
    assert failed.status == "failed" and MEMORY_REASON.fullmatch(failed.error), failed.error
    after = jobs.wait(workspace, jobs.launch(workspace, make_config(), worker="fake_workers:quick"), 60)
    assert after.status == "done"


@pytest.mark.slow
def test_nan_loss_stops_a_real_run_from_the_cli(tmp_path: Path) -> None:
    """An absurd learning rate blows the weights up: the loop's guard ends the run, failed, and says
    where; the CLI exits non-zero with that one line."""
    workspace = tmp_path / "ws"
    command = [sys.executable, "-m", "tlcore", "--workspace", str(workspace), "adapt", "--json"]
    command += ["--source", "mnist5k:n=200", "--target", "digits:n=200", "--method", "source_only"]
    command += ["--model", "lenet", "--epochs", "1", "--batch-size", "16", "--lr", "1e12"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)

    (record,) = RunStore(Workspace.resolve(workspace)).list()
    reason = r"baseline: loss\w*(, loss\w*)* became (nan|inf|-inf) at epoch 1, step \d+"
    assert record.status == "failed" and re.fullmatch(reason, record.error), record.error
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"error: run {record.id} failed: {record.error}"]
    assert not (record.folder / RESULT_FILE).exists()
    assert not (record.folder / CHECKPOINT_FILE).exists()
