"""The Adapt page's run card offers **Stop the run** once a requested cancel has gone unanswered for
FORCE_AFTER seconds (the worker hung), and the button ends the worker's process and closes the run; a run
closed interrupted while its worker still runs, or whose launched worker is stuck after closing it, offers
**Stop the worker**, which ends that process and keeps the run as it is."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support.run_actions import ASKED
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, plain
from tests.runs.hung_worker import closed_ago, held_run, silent_run, unanswered_run
from tests.sweeps.hung_driver import Processes
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.process_stop import EXIT_GRACE, FORCE_AFTER
from tlcore.runs.record import process_started
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

pytestmark = pytest.mark.skipif(process_started(os.getpid()) is None, reason="process starts need /proc")
STOP = "Stop the run"
CONFIG = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("source_only",))  # the small pair


def test_a_cancel_gone_unanswered_offers_stop_the_run_which_ends_its_worker(
    app: Callable[..., AppTest], workspace: Path, processes: Processes
) -> None:
    ws = Workspace.resolve(workspace)
    process = processes()
    run_id = held_run(ws, process, CONFIG)
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    assert [b.label for b in at.button if b.label == STOP] == []
    assert at.button(key=f"cancel_{run_id}").label == "Cancel"
    assert ASKED not in [c.value for c in at.caption]
    unanswered_run(ws, run_id, FORCE_AFTER - 5)  # asked: the worker may still answer
    at.run()
    assert [b.label for b in at.button if b.label == STOP] == []
    assert ASKED in [c.value for c in at.caption]  # the card says so (it read running, unchanged)
    unanswered_run(ws, run_id, FORCE_AFTER + 5)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    (warning,) = [w.value for w in at.warning if "has not answered the cancel" in w.value]
    assert warning.startswith(f"The worker (process {process.pid}) has not answered the cancel for 1")
    assert warning.endswith("SIGKILL 5 s later) and closes the run (cancelled).")
    at.button(key=f"stop_{run_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert process.wait(timeout=5) == -signal.SIGTERM
    record = RunStore(ws).get(run_id)
    assert record.status == "cancelled"
    assert record.error == (
        f"stopped by force: its worker (process {process.pid}) did not answer the cancel; SIGTERM ended it"
    )
    assert [b.label for b in at.button if b.label == STOP] == []
    assert record.error in [plain(i.value) for i in at.info]  # the card says why it ended


def test_an_interrupted_run_whose_worker_still_runs_offers_stop_the_worker(
    app: Callable[..., AppTest], workspace: Path, processes: Processes
) -> None:
    ws = Workspace.resolve(workspace)
    process = processes()
    run_id = held_run(ws, process, CONFIG)
    reason = silent_run(ws, run_id)
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    (warning,) = [w.value for w in at.warning if "still runs" in w.value]
    assert warning.startswith(
        f"The run was closed as interrupted (no sign of life), but its worker (process {process.pid}) "
        "still runs: "
    )
    assert warning.endswith("SIGKILL 5 s later); the run stays interrupted.")
    assert at.button(key=f"stop_{run_id}").label == "Stop the worker"
    at.button(key=f"stop_{run_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert process.wait(timeout=5) == -signal.SIGTERM
    record = RunStore(ws).get(run_id)
    assert (record.status, record.error) == ("interrupted", reason)
    at.run()
    assert [w.value for w in at.warning if "still runs" in w.value] == []
    assert [b.label for b in at.button if b.label == "Stop the worker"] == []
    assert [plain(w.value) for w in at.warning] == [reason]  # the card still says why it ended


def test_a_failed_run_whose_launched_worker_is_stuck_offers_stop_the_worker(
    app: Callable[..., AppTest], workspace: Path, processes: Processes
) -> None:
    ws = Workspace.resolve(workspace)
    process = processes()
    run_id = held_run(ws, process, CONFIG)
    assert RunStore(ws).end(run_id, "failed", "the loss turned NaN")
    closed_ago(ws, run_id, EXIT_GRACE + 120)
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    (warning,) = [w.value for w in at.warning if "still runs" in w.value]
    assert warning == (
        f"The run has ended (failed), but its worker (process {process.pid}) still runs 3 minutes after "
        "it closed the run: launched for this run alone, it has nothing left to do, so it is stuck on "
        "its way out, holding CPU and memory. Stopping it ends that process (SIGTERM, then SIGKILL 5 s "
        "later); the run stays failed."
    )
    at.button(key=f"stop_{run_id}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert process.wait(timeout=5) == -signal.SIGTERM
    assert RunStore(ws).get(run_id).status == "failed"
    assert [plain(s.value) for s in at.success if run_id in plain(s.value)] == [  # in the warning's place
        f"Run {run_id} had already failed (the loss turned NaN); its worker (process {process.pid}) "
        "still ran 3 minutes after it closed the run: SIGTERM ended it."
    ]
    assert [b.label for b in at.button if b.label == "Stop the worker"] == []
    at.run()
    assert [s.value for s in at.success if run_id in plain(s.value)] == []  # said once
