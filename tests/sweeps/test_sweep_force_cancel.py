"""A hung sweep driver (alive, never reading its cancel flag) stopped by force: ``driver.cancel(...,
force=True)`` and ``sweeps cancel ID --force`` end its process (SIGTERM, then SIGKILL), close the sweep
``cancelled`` saying so and ask its trial runs to stop; a pid whose start is not the recorded one is
never signalled, and an unknown start is refused naming the pid."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

import pytest

from tests.sweeps.hung_driver import Processes, held
from tests.sweeps.stored_sweeps import cli
from tests.sweeps.test_sweep_local import create, wait_until
from tlcore.errors import TLError
from tlcore.runs import driver, process_stop
from tlcore.runs.record import pid_alive, process_started
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")
FORCED = "stopped by force: its driver (process {pid}) did not answer the cancel; "


def test_a_driver_that_never_reads_the_cancel_is_ended_by_sigterm_and_the_sweep_closed_saying_so(
    workspace: Workspace, processes: Processes
) -> None:
    process = processes()
    sweep_id, run_id = held(workspace, process)
    assert driver.cancel(workspace, sweep_id, wait_s=0.5).status == "running"  # asked: no answer
    record = driver.cancel(workspace, sweep_id, wait_s=0.5, force=True)
    assert process.wait(timeout=5) == -signal.SIGTERM
    assert record.status == "cancelled"
    assert record.error == FORCED.format(pid=process.pid) + "SIGTERM ended it"
    assert SweepStore(workspace).runs.get(run_id).cancel_requested  # its trial asked to stop


def test_a_driver_ignoring_sigterm_is_killed_after_the_grace(
    workspace: Workspace, processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_stop, "TERM_GRACE", 0.5)
    process = processes(ignore_term=True)
    sweep_id, run_id = held(workspace, process)
    began = time.monotonic()
    record = driver.cancel(workspace, sweep_id, force=True)
    assert process.wait(timeout=5) == -signal.SIGKILL and time.monotonic() - began >= 0.5
    assert record.status == "cancelled"
    assert record.error == FORCED.format(pid=process.pid) + "SIGKILL ended it (SIGTERM did not)"
    assert SweepStore(workspace).runs.get(run_id).cancel_requested


def test_a_stopped_real_driver_reads_sigterm_once_continued_and_its_trial_stops(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A launched driver, its trial running, stopped (SIGSTOP): the cancel waits in vain; forced, SIGCONT
    lets it read SIGTERM as Ctrl-C, so it cancels its trial itself; the record says it was forced."""
    monkeypatch.setattr(process_stop, "TERM_GRACE", 60.0)  # a loaded machine's slow exit is no SIGKILL
    sweep_id = create(workspace, "0.1,0.3", (0,), steps=400, max_concurrent=1)  # 20 s a trial
    driver.launch(workspace, sweep_id, worker="sweep_workers:scored")
    store = SweepStore(workspace)
    wait_until(lambda: any(r.status == "running" for r in store.runs.of_sweep(sweep_id)))
    pid = store.get(sweep_id).pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        record = driver.cancel(workspace, sweep_id, wait_s=1.0, force=True)
    finally:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    assert not pid_alive(pid)
    assert record.status == "cancelled" and record.error == FORCED.format(pid=pid) + "SIGTERM ended it"
    wait_until(lambda: not any(r.active for r in store.runs.of_sweep(sweep_id)))
    assert driver.summary(workspace, sweep_id).counts == {"cancelled": 1, "pending": 1}


def test_a_pid_that_names_another_process_now_is_never_signalled(
    workspace: Workspace, processes: Processes
) -> None:
    """The recorded start is not the live process's (the driver ended, its pid was reused): neither the
    cancel nor a force reaching the signal (the start read just before it) touches that process."""
    process = processes()
    assert process_stop.stop(process.pid, "another-boot/1", "the driver") == "gone"
    sweep_id, _ = held(workspace, process)
    store = SweepStore(workspace)
    claimed = store.get(sweep_id)
    with store.runs.connect() as conn:
        conn.execute("UPDATE sweep_drivers SET started = 'another-boot/1' WHERE id = ?", (sweep_id,))
    record = driver.stop_driver(store, replace(claimed, driver_started="another-boot/1"))
    assert record.status == "interrupted" and record.error.endswith("(its pid names another process now)")
    with pytest.raises(TLError, match=f"sweep {sweep_id} is already interrupted"):
        driver.cancel(workspace, sweep_id, force=True)
    time.sleep(0.2)
    assert process.poll() is None  # never signalled


def test_an_unknown_start_is_refused_naming_the_pid(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    """Claimed where the start could not be recorded: nothing proves the pid is still the driver, so
    nothing is signalled and the user is told which pid to stop; the cancel stays asked."""
    process = processes()
    sweep_id, _ = held(workspace, process)
    store = SweepStore(workspace)
    with store.runs.connect() as conn:
        conn.execute("DELETE FROM sweep_drivers WHERE id = ?", (sweep_id,))
    code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", "--wait", "0.2", capsys=capsys)
    assert code == 2 and out == ""
    assert err == (
        f"error: the driver of sweep {sweep_id} is process {process.pid}, but when it started was not "
        f"recorded, so tlstudio cannot tell that pid {process.pid} still names it; if it does, stop it "
        f"yourself (kill {process.pid})\n"
    )
    assert process.poll() is None
    record = store.get(sweep_id)
    assert record.status == "running" and record.cancel_requested


def test_sweeps_cancel_force_is_one_line_and_exit_0(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    process = processes()
    sweep_id, _ = held(workspace, process)
    code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", "--wait", "0.2", capsys=capsys)
    assert (code, err) == (0, "")
    assert out == f"sweep {sweep_id}: cancelled ({FORCED.format(pid=process.pid)}SIGTERM ended it)\n"
    assert process.wait(timeout=5) == -signal.SIGTERM
    code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", capsys=capsys)
    assert code == 2 and err.startswith(f"error: sweep {sweep_id} is already cancelled (stopped by force: ")


def test_a_cancel_counts_as_unanswered_after_ten_silent_seconds(
    workspace: Workspace, processes: Processes
) -> None:
    """What the Sweep page offers Stop the driver on: a cancel asked, then no sign of life for more than
    FORCE_AFTER seconds (a driver reading the flag beats at every look)."""
    sweep_id, _ = held(workspace, processes())
    store = SweepStore(workspace)
    record = store.get(sweep_id)
    now = record.updated + process_stop.FORCE_AFTER + 1
    assert not process_stop.unanswered(record, now)  # no cancel asked
    asked = store.request_cancel(sweep_id)
    assert not process_stop.unanswered(asked, asked.updated + process_stop.FORCE_AFTER - 1)
    assert process_stop.unanswered(asked, asked.updated + process_stop.FORCE_AFTER + 1)
    beat = replace(asked, heartbeat=asked.updated + 5)  # the driver answered with a beat since
    assert not process_stop.unanswered(beat, asked.updated + process_stop.FORCE_AFTER + 1)


def test_asking_again_leaves_the_clock_of_the_first_request(
    workspace: Workspace, processes: Processes
) -> None:
    """QA helper-230: pressing Cancel again reset the 10 s before Stop the driver showed; the unanswered
    clock counts from the first request."""
    sweep_id, _ = held(workspace, processes())
    store = SweepStore(workspace)
    first = store.request_cancel(sweep_id)
    time.sleep(0.05)
    again = driver.cancel(workspace, sweep_id)
    assert again.cancel_requested and again.updated == first.updated
    assert process_stop.unanswered(again, first.updated + process_stop.FORCE_AFTER + 0.01)
