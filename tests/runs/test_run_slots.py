"""The cap on runs training at once: launches queue for a free slot and start in launch order."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest
from fake_workers import make_config

from tlcore.runs import jobs, slots
from tlcore.runs import record as record_module
from tlcore.runs.record import RunRecord
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

TIMED = "fault_workers:timed"


@pytest.fixture(autouse=True)
def one_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    """One run at a time, whatever the machine's core count (workers inherit the setting)."""
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "1")


def _until(
    store: RunStore, run_id: str, holds: Callable[[RunRecord], bool], timeout: float = 20
) -> RunRecord:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = store.get(run_id)
        if holds(record):
            return record
        assert record.active, f"run {run_id} ended first: {record.status} {record.error}"
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never got there: {store.get(run_id)}")


def _waiting(record: RunRecord) -> bool:
    return record.status == "queued" and record.message.startswith("waiting for a free slot")


def test_a_second_launch_waits_until_the_first_is_done(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Here (the test's process, which polls) a run is dead after 4 s without a sign of life, twice
    # the workers' heartbeat period (jobs.HEARTBEAT_EVERY: at 2 s a beat a few hundred ms late on a
    # loaded machine read as death): the second run waits longer than that, so its worker has to keep
    # its heartbeat fresh (jobs.wait checks the record it polls, so the second run is waited for first).
    monkeypatch.setattr(record_module, "STALE_AFTER", 2 * jobs.HEARTBEAT_EVERY)
    store = RunStore(workspace)
    first = jobs.launch(workspace, make_config(steps=110), worker=TIMED)  # about 5.5 s
    second = jobs.launch(workspace, make_config(steps=2), worker=TIMED)
    # Until the first worker claims its slot the second one reads "(0 running, 1 ahead)"; then it
    # must say it waits for the running one.
    queued = _until(store, second, lambda r: _waiting(r) and r.message.endswith("(1 running)"))
    assert queued.message == "waiting for a free slot (1 running)" and queued.stage == "queued"
    assert store.get(first).status == "running"
    assert [r.status for r in store.list()] == ["queued", "running"]

    done = [jobs.wait(workspace, run_id, timeout=60) for run_id in (second, first)]
    assert [(r.status, r.error) for r in done] == [("done", ""), ("done", "")]
    assert store.result(second)["started"] >= store.result(first)["ended"]


def test_waiting_runs_start_in_launch_order_and_a_dead_one_gives_its_place_back(
    workspace: Workspace,
) -> None:
    store = RunStore(workspace)
    first = jobs.launch(workspace, make_config(steps=60), worker=TIMED)
    _until(store, first, lambda r: r.status == "running")
    killed, second, third = (jobs.launch(workspace, make_config(steps=2), worker=TIMED) for _ in range(3))
    assert _until(store, third, _waiting).message == "waiting for a free slot (1 running, 2 ahead)"
    os.killpg(store.get(killed).pid, signal.SIGKILL)

    ended = {run_id: jobs.wait(workspace, run_id, timeout=60) for run_id in (first, killed, second, third)}
    assert ended[killed].status == "interrupted"
    assert [ended[i].status for i in (first, second, third)] == ["done"] * 3
    starts = [store.result(i)["started"] for i in (first, second, third)]
    assert starts == sorted(starts)
    assert store.result(second)["started"] >= store.result(first)["ended"]
    assert store.result(third)["started"] >= store.result(second)["ended"]


def test_a_waiting_run_can_be_cancelled(workspace: Workspace) -> None:
    store = RunStore(workspace)
    first = jobs.launch(workspace, make_config(steps=30), worker=TIMED)
    second = jobs.launch(workspace, make_config(steps=2), worker=TIMED)
    _until(store, second, _waiting)
    record = jobs.cancel(workspace, second, wait_s=10)
    assert (record.status, record.error) == ("cancelled", "cancelled before it started")
    assert jobs.wait(workspace, first, timeout=60).status == "done"


def test_inline_runs_take_a_slot_too(workspace: Workspace) -> None:
    """The CLI's inline runs share the cap with launched ones."""
    store = RunStore(workspace)
    launched = jobs.launch(workspace, make_config(steps=30), worker=TIMED)
    _until(store, launched, lambda r: r.status == "running")
    inline = jobs.run_inline(workspace, make_config(steps=2), worker=TIMED)
    assert inline.status == "done"
    assert store.result(inline.id)["started"] >= store.result(launched)["ended"]


def test_a_worker_uses_its_share_of_the_cores(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "2")
    for name in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    run_id = jobs.launch(workspace, make_config(), worker="fault_workers:thread_report")
    assert jobs.wait(workspace, run_id, timeout=60).status == "done"
    result = RunStore(workspace).result(run_id)
    assert result["torch_threads"] == slots.worker_threads(2) == max(1, (os.cpu_count() or 1) // 2)
    assert result["numba_threads"] == result["torch_threads"]  # UMAP's OpenMP would raise torch's
    assert result["omp_wait_policy"] == "PASSIVE"


def test_a_bad_cap_fails_the_run_with_its_reason(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "0")
    record = jobs.wait(workspace, jobs.launch(workspace, make_config(), worker=TIMED), timeout=30)
    assert (record.status, record.error) == ("failed", "TLSTUDIO_MAX_RUNNING must be positive, got 0")
