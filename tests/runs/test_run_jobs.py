"""Jobs with stand-in workers: inline runs, launched processes, cancel, SIGTERM, SIGKILL mid-run."""

from __future__ import annotations

import os
import signal
import time

import fake_workers
import pytest
from fake_workers import make_config

from tlcore.errors import TLError
from tlcore.events import ProgressEvent
from tlcore.runs import jobs
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import RESULT_FILE
from tlcore.runs.run_files import CHECKPOINT_FILE, LOG_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def _wait_for(store: RunStore, run_id: str, check: str, timeout: float = 20.0) -> RunRecord:
    """Poll until ``check`` ("running" or "progress") holds for the run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = store.get(run_id)
        if record.status == "running" and (check == "running" or record.progress > 0):
            return record
        assert record.active, f"run ended early: {record.status} {record.error}"
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached {check}")


def _exits(pid: int, timeout: float = 10.0) -> bool:
    """Whether process ``pid`` is gone within ``timeout`` s: exited and reaped, not even a zombie."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_inline_run_records_everything(workspace: Workspace) -> None:
    seen: list[ProgressEvent] = []
    record = jobs.run_inline(workspace, make_config(steps=4), seen.append, worker=fake_workers.quick)
    store = RunStore(workspace)
    assert record.status == "done" and record.progress == 1.0
    assert record.headline["target_accuracy"] == 0.9
    assert [e.kind for e in seen] == ["stage", "step", "step", "step", "step", "done"]
    assert len(store.history(record.id)) == len(seen)
    assert store.result(record.id)["seed"] == 0
    assert store.checkpoint_path(record.id) is None  # the fake has no model
    assert not record.worker_launched  # run in this process: never taken for a worker left over


@pytest.mark.parametrize(
    ("worker", "reason"),
    [
        ("failing", "unknown domain 'nope'"),
        ("diverging", "loss became nan at epoch 1, step 3"),
        ("crashing", "RuntimeError: boom"),
    ],
)
def test_inline_failures_become_failed_runs(workspace: Workspace, worker: str, reason: str) -> None:
    record = jobs.run_inline(workspace, make_config(), worker=f"fake_workers:{worker}")
    assert (record.status, record.error) == ("failed", reason)
    assert not (record.folder / RESULT_FILE).exists()
    log = record.folder / LOG_FILE
    assert ("Traceback" in log.read_text()) if worker == "crashing" else not log.exists()


def test_launched_run_completes(workspace: Workspace) -> None:
    run_id = jobs.launch(workspace, make_config(steps=3), worker="fake_workers:quick")
    record = jobs.wait(workspace, run_id, timeout=30)
    assert record.status == "done", record.error
    assert RunStore(workspace).result(run_id)["target_accuracy"] == 0.9
    assert record.pid is not None and _exits(record.pid)  # reaped: no zombie left
    assert record.worker_launched  # for this run alone (process_stop.still_runs)


def test_sigkill_mid_run_is_interrupted_and_leaves_no_artifacts(workspace: Workspace) -> None:
    store = RunStore(workspace)
    run_id = jobs.launch(workspace, make_config(steps=400), worker="fake_workers:slow")
    record = _wait_for(store, run_id, "progress")
    os.killpg(record.pid, signal.SIGKILL)
    record = jobs.wait(workspace, run_id, timeout=10)
    assert record.status == "interrupted"
    assert f"worker process {record.pid} ended without finishing" in record.error
    assert not (record.folder / RESULT_FILE).exists()
    assert not (record.folder / CHECKPOINT_FILE).exists()
    assert not list(record.folder.glob(".*.tmp"))
    assert store.history(run_id)  # what was recorded before the kill stays readable
    with pytest.raises(TLError, match="no result"):
        store.result(run_id)
    # The store keeps working: the next run completes.
    after = jobs.wait(workspace, jobs.launch(workspace, make_config(), worker="fake_workers:quick"), 30)
    assert after.status == "done"


def test_cancel_stops_a_cooperative_run(workspace: Workspace) -> None:
    store = RunStore(workspace)
    run_id = jobs.launch(workspace, make_config(steps=400), worker="fake_workers:slow")
    _wait_for(store, run_id, "progress")
    record = jobs.cancel(workspace, run_id, wait_s=15)
    assert (record.status, record.error) == ("cancelled", "cancelled on request")
    assert not (record.folder / RESULT_FILE).exists()


def test_sigterm_closes_the_run_as_cancelled(workspace: Workspace) -> None:
    store = RunStore(workspace)
    run_id = jobs.launch(workspace, make_config(), worker="fake_workers:stubborn")
    record = _wait_for(store, run_id, "progress")
    os.killpg(record.pid, signal.SIGTERM)
    record = jobs.wait(workspace, run_id, timeout=10)
    assert (record.status, record.error) == ("cancelled", "interrupted by a signal or Ctrl-C")


def test_a_worker_ignoring_cancel_is_killed_after_the_grace(workspace: Workspace) -> None:
    store = RunStore(workspace)
    run_id = jobs.launch(workspace, make_config(), worker="fake_workers:stubborn", cancel_grace=0.5)
    record = _wait_for(store, run_id, "progress")
    jobs.cancel(workspace, run_id)
    record = jobs.wait(workspace, run_id, timeout=10)
    assert (record.status, record.error) == ("cancelled", "did not stop within 0.5 s; killed")
    assert _exits(record.pid)


def test_worker_that_cannot_be_imported_fails_the_run(workspace: Workspace) -> None:
    run_id = jobs.launch(workspace, make_config(), worker="fake_workers:missing")
    record = jobs.wait(workspace, run_id, timeout=30)
    assert record.status == "failed" and record.error.startswith("AttributeError")
    assert "Traceback" in (record.folder / LOG_FILE).read_text()
