"""An interrupted sweep whose driver (a real process) provably still runs: ``sweeps cancel ID --force``
ends that process through process_stop in one line, the sweep kept interrupted with its reason and the
stop in its driver's log; a sweep ended otherwise, or a pid that names another process now, is never
signalled."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.sweeps.hung_driver import end, held, hung
from tests.sweeps.stored_sweeps import cli
from tlcore.runs import driver
from tlcore.runs.record import process_started
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")
LEFT = "1 trial(s) cancelled or interrupted; `sweeps resume` runs them again"


def test_force_ends_an_interrupted_sweeps_live_driver_in_one_line_keeping_the_sweep(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    process = hung()
    try:
        sweep_id, _ = held(workspace, process)
        store = SweepStore(workspace)
        assert store.end(sweep_id, "interrupted", LEFT)
        code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, capsys=capsys)  # no force: today's
        assert (code, err) == (2, f"error: sweep {sweep_id} is already interrupted ({LEFT})\n")
        assert process.poll() is None
        code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", capsys=capsys)
        said = (
            f"sweep {sweep_id} was already interrupted ({LEFT}); its driver (process {process.pid}) still "
            "ran: SIGTERM ended it"
        )
        assert (code, out, err) == (0, said + "\n", "")
        assert process.wait(timeout=5) == -signal.SIGTERM
        record = store.get(sweep_id)
        assert (record.status, record.error) == ("interrupted", LEFT)
        log = driver.log_path(workspace, sweep_id).read_text(encoding="utf-8")
        assert log.splitlines()[-1] == f"tlstudio: {said}"
        code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", capsys=capsys)
        assert (code, err) == (2, f"error: sweep {sweep_id} is already interrupted ({LEFT})\n")
    finally:
        end(process)


@pytest.mark.parametrize("ended", ["done", "another start"])
def test_a_sweep_ended_otherwise_or_a_reused_pid_is_never_signalled(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], ended: str
) -> None:
    process = hung()
    try:
        sweep_id, _ = held(workspace, process)
        store = SweepStore(workspace)
        assert store.end(
            sweep_id, "done" if ended == "done" else "interrupted", "" if ended == "done" else LEFT
        )
        if ended == "another start":
            with store.runs.connect() as conn:
                conn.execute("UPDATE sweep_drivers SET started = 'another-boot/1' WHERE id = ?", (sweep_id,))
        assert driver.stop_outliving_driver(workspace, sweep_id) is None
        code, _, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", capsys=capsys)
        assert code == 2 and err.startswith(f"error: sweep {sweep_id} is already ")
        time.sleep(0.2)
        assert process.poll() is None
    finally:
        end(process)


def test_sweeps_list_and_show_say_an_interrupted_sweeps_driver_still_runs(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    process = hung()
    try:
        sweep_id, _ = held(workspace, process)
        assert SweepStore(workspace).end(sweep_id, "interrupted", LEFT)
        said = f"its driver still runs (process {process.pid}): sweeps cancel {sweep_id} --force ends it"
        code, out, _ = cli(workspace, "sweeps", "list", capsys=capsys)
        assert code == 0 and out.splitlines()[-1] == f"sweep {sweep_id}: {said}"
        code, out, _ = cli(workspace, "sweeps", "show", sweep_id, capsys=capsys)
        status, warning = out.split("\n  mnist5k -> digits")[0].split("\n", 1)  # wrapped at the width
        assert code == 0 and status == f"sweep {sweep_id}: interrupted ({LEFT})"
        assert " ".join(warning.split()) == f"warning {said}"
        code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--json", capsys=capsys)
        assert code == 0 and json.loads(out)["driver_still_runs"] == process.pid
        process.kill()
        process.wait()
        code, out, _ = cli(workspace, "sweeps", "list", capsys=capsys)
        assert "still runs" not in out
        code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--json", capsys=capsys)
        assert json.loads(out)["driver_still_runs"] is None
    finally:
        end(process)
