"""A run closed ``interrupted`` on its worker's silence while that worker (a real process, paused or
stuck) provably still runs: ``runs list`` and ``runs show`` say so, ``runs cancel ID --force`` ends that
process through process_stop in one line (the run kept interrupted with its reason, the stop in its log),
and where that command's own look closed the run, the line says so; a pid that names another process now
is never signalled. A run its worker closed itself: that worker, launched for it alone, is named and
ended once it outlives the close by EXIT_GRACE seconds (stuck on its way out); a process running it
inline never (the launched workers: tests/runs/test_launched_worker_lingers.py)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.runs.hung_worker import closed_ago, held_run, inline_run, silent_run
from tests.sweeps.hung_driver import Processes
from tests.sweeps.stored_sweeps import cli
from tlcore.commands import command_line
from tlcore.runs import jobs, process_stop
from tlcore.runs.record import process_started
from tlcore.runs.run_files import LOG_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")


def test_an_interrupted_runs_live_worker_is_named_and_force_ends_it_keeping_the_run(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    process = processes()
    run_id = held_run(workspace, process)
    reason = silent_run(workspace, run_id)
    cancel = command_line("runs", "cancel", run_id, "--force", workspace=str(workspace.root))  # as given
    still = f"its worker (process {process.pid}) still runs: {cancel} ends it"
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)
    assert code == 0 and out.splitlines()[-1] == f"run {run_id}: {still}"
    code, out, _ = cli(workspace, "runs", "show", run_id, capsys=capsys)
    assert code == 0 and f"  warning  {still}" in out.splitlines()
    code, out, _ = cli(workspace, "runs", "show", run_id, "--json", capsys=capsys)
    assert json.loads(out)["worker_still_runs"] == process.pid
    code, out, err = cli(workspace, "runs", "cancel", run_id, capsys=capsys)  # no force: today's refusal
    assert (code, err) == (2, f"error: run {run_id} is already interrupted\n") and process.poll() is None

    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    said = (
        f"run {run_id} was already interrupted ({reason}); its worker (process {process.pid}) still ran: "
        "SIGTERM ended it"
    )
    assert (code, out, err) == (0, said + "\n", "")
    assert process.wait(timeout=5) == -signal.SIGTERM
    record = RunStore(workspace).get(run_id)
    assert (record.status, record.error) == ("interrupted", reason)  # its history kept
    assert (record.folder / LOG_FILE).read_text(encoding="utf-8").splitlines()[-1] == f"tlstudio: {said}"
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)
    assert "still runs" not in out
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)  # gone: today's
    assert (code, out, err) == (2, "", f"error: run {run_id} is already interrupted\n")


def test_force_with_json_gives_the_record_and_the_line(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    process = processes()
    run_id = held_run(workspace, process)
    silent_run(workspace, run_id)
    code, out, _ = cli(workspace, "runs", "cancel", run_id, "--force", "--json", capsys=capsys)
    data = json.loads(out)
    assert code == 0 and data["status"] == "interrupted" and data["id"] == run_id
    assert data["stopped"].endswith(f"its worker (process {process.pid}) still ran: SIGTERM ended it")
    assert process.wait(timeout=5) == -signal.SIGTERM


def test_a_pid_that_names_another_process_now_is_neither_named_nor_signalled(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    process = processes()
    run_id = held_run(workspace, process)
    silent_run(workspace, run_id)
    store = RunStore(workspace)
    with store.connect() as conn:
        conn.execute("UPDATE run_workers SET started = 'another-boot/1' WHERE id = ?", (run_id,))
    assert jobs.stop_outliving_worker(workspace, run_id) is None
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)
    assert "still runs" not in out
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    assert (code, err) == (2, f"error: run {run_id} is already interrupted\n")
    time.sleep(0.2)
    assert process.poll() is None  # never signalled


@pytest.mark.parametrize("ignore_term", [False, True])
def test_force_on_a_run_silent_for_minutes_says_this_command_closed_it_and_stopped_its_worker(
    workspace: Workspace,
    processes: Processes,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ignore_term: bool,
) -> None:
    """QA: a running run silent for 7 minutes, forced: the look of this very command closes it, so the line
    says that, not "was already interrupted" (someone else, earlier)."""
    monkeypatch.setattr(process_stop, "TERM_GRACE", 0.5 if ignore_term else 60.0)  # a slow exit: no SIGKILL
    process = processes(ignore_term=ignore_term)
    run_id = held_run(workspace, process)
    store = RunStore(workspace)
    then = time.time() - 7 * 60
    with store.connect() as conn:
        conn.execute("UPDATE runs SET updated = ?, heartbeat = ? WHERE id = ?", (then, then, run_id))
    assert store.get(run_id).status == "running"
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    said = (
        f"run {run_id} was silent for 7 minutes, is closed as interrupted now, and its worker (process "
        f"{process.pid}) did not answer: "
    )
    ended = "SIGKILL ended it (SIGTERM did not)" if ignore_term else "SIGTERM ended it"
    assert (code, out, err) == (0, said + ended + "\n", "")
    assert process.wait(timeout=5) == (-signal.SIGKILL if ignore_term else -signal.SIGTERM)
    record = store.get(run_id)
    assert record.status == "interrupted" and record.error.startswith("no sign of life from the worker for 4")
    log = (record.folder / LOG_FILE).read_text(encoding="utf-8")
    assert log.splitlines()[-1] == f"tlstudio: {said}{ended}"


@pytest.mark.parametrize("status", ["failed", "cancelled"])
def test_a_run_closed_by_the_process_running_it_inline_is_left_to_that_process(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str], status: str
) -> None:
    """A failed (or done, cancelled) run whose process ran it inline may go on with other work (the CLI,
    a notebook): never named, never signalled, however long ago it closed the run."""
    process = processes()
    run_id = inline_run(workspace, process)
    store = RunStore(workspace)
    assert store.get(run_id).worker_started == process_started(process.pid)
    assert not store.get(run_id).worker_launched
    assert store.end(run_id, status, "the loss turned NaN")
    closed_ago(workspace, run_id, process_stop.EXIT_GRACE + 600)
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)
    assert "still runs" not in out
    code, out, _ = cli(workspace, "runs", "show", run_id, "--json", capsys=capsys)
    assert json.loads(out)["worker_still_runs"] is None
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    assert (code, err) == (2, f"error: run {run_id} is already {status}\n")
    time.sleep(0.2)
    assert process.poll() is None
