"""An ended sweep whose driver (a real process), launched for it alone, provably still runs
:data:`~tlcore.runs.process_stop.EXIT_GRACE` seconds after it closed the sweep (stuck on its way out):
``sweeps list`` and ``show`` say so and ``sweeps cancel ID --force`` ends that process through
process_stop in one line, the sweep kept as it closed with its reason and the stop in its driver's log.
A driver within the grace, one driving its sweep inline (it may go on with other work: a look never
closes a sweep whose driver provably runs, so its driver closed it, interrupted included), or a pid that
names another process now, is never signalled."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.sweeps.hung_driver import end, held, hung, sweep_closed_ago
from tests.sweeps.stored_sweeps import cli
from tlcore.commands import command_line
from tlcore.runs import driver, process_stop
from tlcore.runs.record import process_started
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")
LEFT = "1 trial cancelled or interrupted; `sweeps resume` runs it again"
LONG_AGO = process_stop.EXIT_GRACE + 120  # seconds: 3 minutes


@pytest.mark.parametrize("status", ["interrupted", "done"])
def test_force_ends_a_launched_driver_stuck_after_closing_its_sweep_in_one_line_keeping_the_sweep(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], status: str
) -> None:
    process = hung()
    try:
        sweep_id, _ = held(workspace, process, launched=True)
        store = SweepStore(workspace)
        assert store.get(sweep_id).driver_launched
        reason = LEFT if status == "interrupted" else ""
        assert store.end(sweep_id, status, reason)
        why = f" ({reason})" if reason else ""
        code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", capsys=capsys)  # just closed
        assert (code, err) == (2, f"error: sweep {sweep_id} is already {status}{why}\n")
        assert process.poll() is None
        sweep_closed_ago(workspace, sweep_id, LONG_AGO)
        code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, capsys=capsys)  # no force: today's
        assert (code, err) == (2, f"error: sweep {sweep_id} is already {status}{why}\n")
        assert process.poll() is None
        code, out, err = cli(workspace, "sweeps", "resume", sweep_id, capsys=capsys)  # two drivers: refused
        cancel = command_line("sweeps", "cancel", sweep_id, "--force", workspace=str(workspace.root))
        assert (code, out) == (2, "") and err == (
            f"error: sweep {sweep_id}'s last driver (process {process.pid}) still runs: {cancel} ends it, "
            "then resume\n"
        )
        assert (store.get(sweep_id).status, process.poll()) == (status, None)
        code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", capsys=capsys)
        said = (
            f"sweep {sweep_id} was already {status}{why}; its driver (process {process.pid}) still ran 3 "
            "minutes after it closed the sweep: SIGTERM ended it"
        )
        assert (code, out, err) == (0, said + "\n", "")
        assert process.wait(timeout=5) == -signal.SIGTERM
        record = store.get(sweep_id)
        assert (record.status, record.error) == (status, reason)
        log = driver.log_path(workspace, sweep_id).read_text(encoding="utf-8")
        assert log.splitlines()[-1] == f"tlstudio: {said}"
        code, out, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", capsys=capsys)
        assert (code, err) == (2, f"error: sweep {sweep_id} is already {status}{why}\n")
    finally:
        end(process)


@pytest.mark.parametrize("ended", ["inline", "another start"])
def test_an_inline_driver_or_a_reused_pid_is_never_signalled(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], ended: str
) -> None:
    process = hung()
    try:
        sweep_id, _ = held(workspace, process, launched=ended != "inline")
        store = SweepStore(workspace)
        assert store.end(sweep_id, "interrupted", LEFT)
        sweep_closed_ago(workspace, sweep_id, LONG_AGO + 600)
        if ended == "another start":
            with store.runs.connect() as conn:
                conn.execute("UPDATE sweep_drivers SET started = 'another-boot/1' WHERE id = ?", (sweep_id,))
        assert driver.stop_outliving_driver(workspace, sweep_id) is None
        code, out, _ = cli(workspace, "sweeps", "list", capsys=capsys)
        assert code == 0 and "still runs" not in out
        code, _, err = cli(workspace, "sweeps", "cancel", sweep_id, "--force", capsys=capsys)
        assert code == 2 and err.startswith(f"error: sweep {sweep_id} is already ")
        time.sleep(0.2)
        assert process.poll() is None
    finally:
        end(process)


def test_sweeps_list_and_show_say_a_launched_driver_outlives_its_sweep(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    process = hung()
    try:
        sweep_id, _ = held(workspace, process, launched=True)
        assert SweepStore(workspace).end(sweep_id, "interrupted", LEFT)
        sweep_closed_ago(workspace, sweep_id, LONG_AGO)
        cancel = command_line("sweeps", "cancel", sweep_id, "--force", workspace=str(workspace.root))
        said = f"its driver (process {process.pid}) still runs 3 minutes after it closed the sweep: {cancel} "
        said += "ends it"
        code, out, _ = cli(workspace, "sweeps", "list", capsys=capsys)
        assert code == 0 and out.splitlines()[-1] == f"sweep {sweep_id}: {said}"
        code, out, _ = cli(workspace, "sweeps", "show", sweep_id, capsys=capsys)
        status, warning = out.split("\n  mnist5k -> digits")[0].split("\n", 1)  # wrapped at the width
        assert code == 0 and status == f"sweep {sweep_id}: interrupted ({LEFT})"
        assert " ".join(warning.split()) == f"warning {said}"
        code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--json", capsys=capsys)
        assert code == 0 and json.loads(out)["driver_still_runs"] == process.pid
        code, out, _ = cli(workspace, "sweeps", "list", "--json", capsys=capsys)
        assert [(s["id"], s["driver_still_runs"]) for s in json.loads(out)] == [(sweep_id, process.pid)]
        process.kill()
        process.wait()
        code, out, _ = cli(workspace, "sweeps", "list", capsys=capsys)
        assert "still runs" not in out
        code, out, _ = cli(workspace, "sweeps", "show", sweep_id, "--json", capsys=capsys)
        assert json.loads(out)["driver_still_runs"] is None
    finally:
        end(process)
