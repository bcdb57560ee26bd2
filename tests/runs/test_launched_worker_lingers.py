"""A run closed by its own worker, launched for it alone (:func:`tlcore.runs.jobs.spawn`), while that
worker (a real process) provably still runs :data:`~tlcore.runs.process_stop.EXIT_GRACE` seconds later,
stuck on its way out: ``runs list`` and ``runs show`` name it (``--json``: ``worker_still_runs``) and
``runs cancel ID --force`` ends it in one line, the run kept as its worker closed it; within the grace,
or a worker an older tlstudio recorded (schema 5: no ``launches``), never."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.runs.hung_worker import closed_ago, held_run
from tests.sweeps.hung_driver import end, hung
from tests.sweeps.stored_sweeps import cli
from tlcore.commands import command_line
from tlcore.runs import process_stop
from tlcore.runs.index import SCHEMA_VERSION
from tlcore.runs.record import process_started
from tlcore.runs.run_files import LOG_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")


@pytest.fixture
def process() -> Iterator[subprocess.Popen[bytes]]:
    """A :func:`hung` process, killed after the test if still alive."""
    started = hung()
    yield started
    end(started)


def _closed(workspace: Workspace, run_id: str, status: str) -> str:
    """The running run closed ``status`` as its worker closes it: its reason ("" for done)."""
    store = RunStore(workspace)
    if status == "done":
        assert store.finish(run_id, {"target_accuracy": 0.9})
        return ""
    assert store.end(run_id, status, "the loss turned NaN")
    return "the loss turned NaN"


@pytest.mark.parametrize("status", ["done", "failed"])
def test_a_launched_worker_stuck_after_closing_its_run_is_named_and_force_ends_it(
    workspace: Workspace,
    process: subprocess.Popen[bytes],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    status: str,
) -> None:
    monkeypatch.setattr(process_stop, "TERM_GRACE", 60.0)  # a loaded machine's slow exit is no SIGKILL
    run_id = held_run(workspace, process)
    store = RunStore(workspace)
    assert store.get(run_id).worker_launched
    reason = _closed(workspace, run_id, status)
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)  # just closed: on its way out
    assert code == 0 and "still runs" not in out
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    assert (code, err) == (2, f"error: run {run_id} is already {status}\n") and process.poll() is None

    closed_ago(workspace, run_id, process_stop.EXIT_GRACE + 120)
    cancel = command_line("runs", "cancel", run_id, "--force", workspace=str(workspace.root))
    still = f"its worker (process {process.pid}) still runs 3 minutes after it closed the run: {cancel} "
    still += "ends it"
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)
    assert code == 0 and out.splitlines()[-1] == f"run {run_id}: {still}"
    code, out, _ = cli(workspace, "runs", "show", run_id, capsys=capsys)
    assert code == 0 and f"warning {still}" in " ".join(out.split())  # wrapped at the width
    code, out, _ = cli(workspace, "runs", "show", run_id, "--json", capsys=capsys)
    assert json.loads(out)["worker_still_runs"] == process.pid
    code, out, _ = cli(workspace, "runs", "list", "--json", capsys=capsys)
    assert [(r["id"], r["worker_still_runs"]) for r in json.loads(out)] == [(run_id, process.pid)]

    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    why = f" ({reason})" if reason else ""
    already = "had already failed" if status == "failed" else "was already done"
    said = (
        f"run {run_id} {already}{why}; its worker (process {process.pid}) still ran 3 minutes after it "
        "closed the run: SIGTERM ended it"
    )
    assert (code, out, err) == (0, said + "\n", "")
    assert process.wait(timeout=5) == -signal.SIGTERM
    record = store.get(run_id)
    assert (record.status, record.error) == (status, reason)  # as its worker closed it
    assert (record.folder / LOG_FILE).read_text(encoding="utf-8").splitlines()[-1] == f"tlstudio: {said}"
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)
    assert "still runs" not in out


def test_a_worker_an_older_tlstudio_launched_is_never_taken_for_launched(
    workspace: Workspace, process: subprocess.Popen[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    """An index of schema 5 (no ``launches``) migrates to 6 keeping its runs; the worker it recorded may
    have run its run inline, so it is never named nor signalled after the run's close."""
    run_id = held_run(workspace, process)
    with sqlite3.connect(workspace.index_path) as conn:
        conn.execute("DROP TABLE launches")
        conn.execute("PRAGMA user_version = 5")
    store = RunStore(workspace)
    with store.connect() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    record = store.get(run_id)
    assert record.worker_started == process_started(process.pid) and not record.worker_launched
    _closed(workspace, run_id, "failed")
    closed_ago(workspace, run_id, process_stop.EXIT_GRACE + 600)
    code, out, _ = cli(workspace, "runs", "list", capsys=capsys)
    assert code == 0 and "still runs" not in out
    code, out, err = cli(workspace, "runs", "cancel", run_id, "--force", capsys=capsys)
    assert (code, err) == (2, f"error: run {run_id} is already failed\n")
    time.sleep(0.2)
    assert process.poll() is None
