"""A hung run worker (alive, never reading its cancel flag) stopped by force: ``jobs.cancel(...,
force=True)`` and ``runs cancel ID --force`` end its process (SIGTERM and SIGCONT, then SIGKILL) only
while the start its launch or slot claim recorded proves the pid, and close the run ``cancelled`` saying
so; an unknown start is refused naming the pid; an index of schema 4 migrates to the current one."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from types import SimpleNamespace

import pytest
from fake_workers import make_config

from tests.runs.hung_worker import held_run, silent_run, unanswered_run
from tests.sweeps.hung_driver import SPEC, Processes
from tests.sweeps.stored_sweeps import cli
from tlcore.commands import command_line
from tlcore.errors import TLError
from tlcore.runs import driver, jobs, process_stop
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.executors import ray as ray_executor
from tlcore.runs.executors.ray import RayExecutor
from tlcore.runs.index import SCHEMA_VERSION
from tlcore.runs.record import pid_alive, process_started
from tlcore.runs.slots import claim_slot
from tlcore.runs.store import RunStore
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")
FORCED = "stopped by force: its worker (process {pid}) did not answer the cancel; "


def test_runs_cancel_force_ends_a_hung_worker_by_sigterm_in_one_line_and_exit_0(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    process = processes()
    run_id = held_run(workspace, process)
    assert RunStore(workspace).get(run_id).worker_started == process_started(process.pid)
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", "--wait", "0.2", capsys=capsys)
    assert (code, err) == (0, "")
    assert out == f"run {run_id}: cancelled ({FORCED.format(pid=process.pid)}SIGTERM ended it)\n"
    assert process.wait(timeout=5) == -signal.SIGTERM
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    assert code == 2 and err == f"error: run {run_id} is already cancelled\n"


def test_a_worker_ignoring_sigterm_is_killed_after_the_grace(
    workspace: Workspace, processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_stop, "TERM_GRACE", 0.5)
    process = processes(ignore_term=True)
    run_id = held_run(workspace, process)
    began = time.monotonic()
    record = jobs.cancel(workspace, run_id, force=True)
    assert process.wait(timeout=5) == -signal.SIGKILL and time.monotonic() - began >= 0.5
    assert record.status == "cancelled"
    assert record.error == FORCED.format(pid=process.pid) + "SIGKILL ended it (SIGTERM did not)"


def test_a_stopped_launched_worker_reads_sigterm_once_continued(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real launched worker (its start recorded by the launch and its slot claim), stuck in a stage
    that ignores the cancel, then stopped (SIGSTOP): its watchdog cannot kill it, the cancel waits in
    vain; forced, SIGCONT lets it read SIGTERM as Ctrl-C, and the run says it was forced."""
    monkeypatch.setattr(process_stop, "TERM_GRACE", 60.0)  # a loaded machine's slow exit is no SIGKILL
    run_id = jobs.launch(workspace, make_config(), worker="fake_workers:stubborn")
    store = RunStore(workspace)
    deadline = time.monotonic() + 60
    while store.get(run_id).stage != "train" and time.monotonic() < deadline:
        time.sleep(0.05)
    record = store.get(run_id)
    assert record.status == "running" and record.pid is not None
    try:
        assert record.worker_started == process_started(record.pid)
        os.kill(record.pid, signal.SIGSTOP)
        ended = jobs.cancel(workspace, run_id, wait_s=0.5, force=True)
    finally:
        if pid_alive(record.pid):
            os.kill(record.pid, signal.SIGKILL)
    assert not pid_alive(record.pid)
    assert ended.status == "cancelled" and ended.error == FORCED.format(pid=record.pid) + "SIGTERM ended it"


def test_an_unknown_start_is_refused_naming_the_pid(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker whose start was not recorded (an older tlstudio launched it): nothing proves the pid is
    still its worker, so nothing is signalled and the user is told which pid to stop; the cancel stays
    asked."""
    process = processes()
    run_id = held_run(workspace, process)
    store = RunStore(workspace)
    with store.connect() as conn:
        conn.execute("DELETE FROM run_workers WHERE id = ?", (run_id,))
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", "--wait", "0.2", capsys=capsys)
    assert code == 2 and out == ""
    assert err == (
        f"error: the worker of run {run_id} is process {process.pid}, but when it started was not "
        f"recorded, so tlstudio cannot tell that pid {process.pid} still names it; if it does, stop it "
        f"yourself (kill {process.pid})\n"
    )
    assert process.poll() is None
    record = store.get(run_id)
    assert record.status == "running" and record.cancel_requested


@pytest.mark.parametrize("claim", ["existing cluster", "embedded cluster", "start kept by an older claim"])
def test_a_trial_training_in_its_sweep_drivers_name_points_to_the_sweep(
    workspace: Workspace,
    processes: Processes,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    claim: str,
) -> None:
    """A Ray trial runs in its sweep driver's name (its pid the driver's, no start of its own): ending
    that process would end the sweep, so the run's force is refused, naming the sweep's, hung or closed
    on silence. On an embedded cluster the driver claims the trial's slot (QA helper-244: that claim kept
    the driver's start as the trial's worker's, and a force ended the driver); one kept so before is
    refused too."""
    process = processes()
    sweeps = SweepStore(workspace)
    sweep_id = driver.create(workspace, SPEC)
    sweeps.claim(sweep_id, process.pid)
    trial = driver.summary(workspace, sweep_id).trials[0].trial
    assert trial.config is not None
    run_id = sweeps.runs.create(trial.config, sweep_id=sweep_id, trial_key=trial.key)
    if claim == "existing cluster":
        assert sweeps.runs.start(run_id, process.pid)  # as the Ray executor does
    elif claim == "embedded cluster":  # the Ray executor's own slot claim, the driver being `process`
        executor = RayExecutor(workspace, ExecutorSettings(kind="ray"))
        executor.max_running = 100
        executor.waiting[run_id] = (None, {})  # type: ignore[assignment] - never launched here
        monkeypatch.setattr(executor, "_launch", lambda task, options: None)
        monkeypatch.setattr(ray_executor, "os", SimpleNamespace(getpid=lambda: process.pid))
        executor._claim_slots()
        assert sweeps.runs.get(run_id).worker_started is None
    else:
        assert claim_slot(sweeps.runs, run_id, process.pid, 100) == "started"
    assert sweeps.runs.get(run_id).status == "running"
    cancel = command_line("sweeps", "cancel", sweep_id, "--force", workspace=str(workspace.root))
    refused = (
        f"error: run {run_id} trains in the driver of its sweep {sweep_id} (process {process.pid}), not in "
        f"a worker of its own: stop the sweep instead ({cancel})\n"
    )
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", "--wait", "0.2", capsys=capsys)
    assert (code, out, err) == (2, "", refused)
    assert process.poll() is None
    silent_run(workspace, run_id)  # closed on silence, its driver alive: no worker of its own to stop
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    assert (code, out) == (2, "") and err in (refused, f"error: run {run_id} is already interrupted\n")
    time.sleep(0.2)
    assert process.poll() is None


def test_a_pid_that_names_another_process_now_is_never_signalled(
    workspace: Workspace, processes: Processes
) -> None:
    """The recorded start is not the live process's (the worker ended, its pid was reused): the run is
    closed as its worker's end at the first look, and a force signals nothing."""
    process = processes()
    run_id = held_run(workspace, process)
    store = RunStore(workspace)
    with store.connect() as conn:
        conn.execute("UPDATE run_workers SET started = 'another-boot/1' WHERE id = ?", (run_id,))
    with pytest.raises(TLError, match=f"run {run_id} is closed as interrupted now \\(worker process"):
        jobs.cancel(workspace, run_id, force=True)
    record = store.get(run_id)
    assert (
        record.error
        == f"worker process {process.pid} ended without finishing the run (its pid names another process now)"
    )
    time.sleep(0.2)
    assert process.poll() is None  # never signalled


def test_a_cancel_counts_as_unanswered_from_its_first_request(
    workspace: Workspace, processes: Processes
) -> None:
    """What the Adapt page offers Stop the run on: a cancel asked, then no sign of life for more than
    FORCE_AFTER seconds; asking again leaves the clock of the first request."""
    run_id = held_run(workspace, processes())
    store = RunStore(workspace)
    record = store.get(run_id)
    assert not process_stop.unanswered(record, record.updated + process_stop.FORCE_AFTER + 1)  # not asked
    first = store.request_cancel(run_id)
    time.sleep(0.05)
    again = jobs.cancel(workspace, run_id)
    assert again.updated == first.updated
    assert not process_stop.unanswered(again, first.updated + process_stop.FORCE_AFTER - 1)
    assert process_stop.unanswered(again, first.updated + process_stop.FORCE_AFTER + 0.01)
    unanswered_run(workspace, run_id, process_stop.FORCE_AFTER + 5)
    assert process_stop.unanswered(store.get(run_id), time.time())


def test_an_index_of_schema_4_migrates_and_its_running_workers_start_is_unknown(
    workspace: Workspace, processes: Processes
) -> None:
    """An older tlstudio's index (schema 4: no run_workers) keeps its runs; the worker it launched has no
    recorded start, so a force is refused; a worker launched now records one."""
    process = processes()
    run_id = held_run(workspace, process)
    with sqlite3.connect(workspace.index_path) as conn:
        conn.execute("DROP TABLE run_workers")
        conn.execute("PRAGMA user_version = 4")
    store = RunStore(workspace)
    with store.connect() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    old = store.get(run_id)
    assert old.status == "running" and old.pid == process.pid and old.worker_started is None
    with pytest.raises(TLError, match=f"is process {process.pid}, but when it started was not recorded"):
        jobs.cancel(workspace, run_id, force=True)
    assert process.poll() is None
    newer = held_run(workspace, processes())
    assert store.get(newer).worker_started is not None
    assert store.get(run_id).worker_started is None  # a run of another pid's row: never its own


def test_a_cancel_whose_own_look_closes_a_silent_run_says_so(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA: ``runs cancel ID`` on a run silent for 7 minutes answered "run ID is already interrupted", as if
    someone had closed it earlier, where this command's look closed it; asked again, it is."""
    run_id = held_run(workspace, processes())
    store = RunStore(workspace)
    then = time.time() - 7 * 60
    with store.connect() as conn:
        conn.execute("UPDATE runs SET updated = ?, heartbeat = ? WHERE id = ?", (then, then, run_id))
    code, out, err = cli(workspace, "runs", "cancel", run_id, capsys=capsys)
    reason = store.get(run_id).error
    assert reason.startswith("no sign of life from the worker for 4")
    assert (code, out, err) == (
        2,
        "",
        f"error: run {run_id} is closed as interrupted now ({reason}): nothing left to cancel\n",
    )
    code, out, err = cli(workspace, "runs", "cancel", run_id, capsys=capsys)
    assert (code, out, err) == (2, "", f"error: run {run_id} is already interrupted\n")
