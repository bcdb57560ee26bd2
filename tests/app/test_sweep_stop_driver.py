"""The Sweep page offers **Stop the driver** once a requested cancel has gone unanswered for
FORCE_AFTER seconds (the driver hung), and the button ends the driver's process and closes the sweep; and
for an ended sweep whose launched driver is stuck on its way out, ending that process alone."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain
from tests.sweeps.hung_driver import Processes, held, sweep_closed_ago, unanswered_for
from tlcore.runs.process_stop import EXIT_GRACE, FORCE_AFTER
from tlcore.runs.record import process_started
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")
STOP = "Stop the driver"


def test_a_cancel_gone_unanswered_offers_stop_the_driver_which_ends_it(
    app: Callable[..., AppTest], workspace: Path, processes: Processes
) -> None:
    ws = Workspace.resolve(workspace)
    process = processes()
    sweep_id, run_id = held(ws, process)
    at = app("sweep")
    assert not at.exception and [b.label for b in at.button if b.label == STOP] == []
    unanswered_for(ws, sweep_id, FORCE_AFTER - 5)  # asked: the driver may still answer
    at.run()
    assert [b.label for b in at.button if b.label == STOP] == []
    unanswered_for(ws, sweep_id, FORCE_AFTER + 5)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    (warning,) = [w.value for w in at.warning if "has not answered the cancel" in w.value]
    assert warning.startswith(f"The driver (process {process.pid}) has not answered the cancel for 1")
    at.button(key=f"stop_{sweep_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert process.wait(timeout=5) == -signal.SIGTERM
    store = SweepStore(ws)
    record = store.get(sweep_id)
    assert record.status == "cancelled" and record.error.startswith(
        f"stopped by force: its driver (process {process.pid}) did not answer the cancel"
    )
    assert store.runs.get(run_id).cancel_requested
    assert [b.label for b in at.button if b.label == STOP] == []
    assert record.error in [plain(c.value) for c in at.caption]  # the page says why it ended


def test_cancel_again_keeps_stop_the_driver_and_its_label_fits(
    app: Callable[..., AppTest], workspace: Path, processes: Processes
) -> None:
    """QA helper-230: at 1024 px "Cancel the sweep" was cut to "Cancel the …" (now "Cancel", the meaning
    in its help), and pressing it again reset the 10 s before Stop the driver showed."""
    ws = Workspace.resolve(workspace)
    process = processes()
    sweep_id, _ = held(ws, process)
    unanswered_for(ws, sweep_id, FORCE_AFTER + 5)
    at = app("sweep")
    cancel = at.button(key=f"cancel_{sweep_id}")
    assert cancel.label == "Cancel" and cancel.help.startswith("Cancel the sweep: ")
    assert [b.label for b in at.button if b.label == STOP] == [STOP]
    cancel.click().run()
    at.run()  # the click's own run drew the record read before it
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [b.label for b in at.button if b.label == STOP] == [STOP]  # the first request's clock
    assert SweepStore(ws).get(sweep_id).status == "running" and process.poll() is None


def test_an_interrupted_sweep_whose_launched_driver_is_stuck_offers_stop_the_driver(
    app: Callable[..., AppTest], workspace: Path, processes: Processes
) -> None:
    """A sweep its launched driver (a real process) closed interrupted 3 minutes ago, that driver still
    running (stuck on its way out): the page says so and **Stop the driver** ends that process, the sweep
    kept interrupted with its reason."""
    ws = Workspace.resolve(workspace)
    process = processes()
    sweep_id, _ = held(ws, process, launched=True)
    store = SweepStore(ws)
    reason = "1 trial cancelled or interrupted; `sweeps resume` runs it again"
    assert store.end(sweep_id, "interrupted", reason)
    sweep_closed_ago(ws, sweep_id, EXIT_GRACE + 120)
    at = app("sweep")
    assert not at.exception, [e.message for e in at.exception]
    assert reason in [c.value for c in at.caption]  # `sweeps resume` as code, not escaped (QA)
    (warning,) = [w.value for w in at.warning if "still runs" in w.value]
    assert warning == (
        f"The sweep has ended (interrupted), but its driver (process {process.pid}) still runs 3 minutes "
        "after it closed the sweep: launched for this sweep alone, it has nothing left to do, so it is "
        "stuck on its way out, holding CPU and memory. Stopping it ends that process (SIGTERM, then "
        "SIGKILL 5 s later); the sweep stays interrupted."
    )
    assert at.button(key=f"stop_{sweep_id}").label == STOP
    assert [b.label for b in at.button if b.label == "Resume"] == []  # refused while it runs
    at.button(key=f"stop_{sweep_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert process.wait(timeout=5) == -signal.SIGTERM
    record = store.get(sweep_id)
    assert (record.status, record.error) == ("interrupted", reason)
    assert "; `sweeps resume` runs it again" in at.success[0].value  # as code (QA: escaped, in backticks)
    assert [plain(s.value) for s in at.success] == [
        f"Sweep {sweep_id} was already interrupted ({reason}); its driver (process {process.pid}) still "
        "ran 3 minutes after it closed the sweep: SIGTERM ended it."
    ]
    at.run()
    assert [w.value for w in at.warning if "still runs" in w.value] == []
    assert [b.label for b in at.button if b.label == STOP] == []
    assert [b.label for b in at.button if b.label == "Resume"] == ["Resume"]
