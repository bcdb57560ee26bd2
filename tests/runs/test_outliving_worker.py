"""A run closed ``interrupted`` on its worker's silence while that worker (a real process, paused or
stuck) provably still runs: ``runs list`` and ``runs show`` say so, ``runs cancel ID --force`` ends that
process through process_stop in one line (the run kept interrupted with its reason, the stop in its log);
a pid that names another process now, or a run its worker closed itself, is never signalled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from tests.runs.hung_worker import held_run, silent_run
from tests.sweeps.hung_driver import end, hung
from tests.sweeps.stored_sweeps import cli
from tlcore.runs import jobs
from tlcore.runs.record import process_started
from tlcore.runs.run_files import LOG_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")
Processes = Callable[[], subprocess.Popen[bytes]]


@pytest.fixture
def processes() -> Iterator[Processes]:
    """``processes()``: a :func:`hung` process, killed after the test if still alive."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        started.append(hung())
        return started[-1]

    yield start
    for process in started:
        end(process)


def test_an_interrupted_runs_live_worker_is_named_and_force_ends_it_keeping_the_run(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    process = processes()
    run_id = held_run(workspace, process)
    reason = silent_run(workspace, run_id)
    still = f"its worker still runs (process {process.pid}): runs cancel {run_id} --force ends it"
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


def test_a_run_its_worker_closed_is_left_to_that_process(
    workspace: Workspace, processes: Processes, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failed (or done, cancelled) run's process may go on with other work (an inline run's CLI, a
    notebook): never named, never signalled."""
    process = processes()
    run_id = held_run(workspace, process)
    assert RunStore(workspace).end(run_id, "failed", "the loss turned NaN")
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)
    assert "still runs" not in out
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    assert (code, err) == (2, f"error: run {run_id} is already failed\n")
    time.sleep(0.2)
    assert process.poll() is None
