"""A run held by a worker that never reads its cancel flag: a real process that only sleeps (one variant
ignoring SIGTERM too: :func:`tests.sweeps.hung_driver.hung`), recorded as the run's launched worker
with its start (or as the process running it inline), the run running, and a cancel that goes
unanswered, a silence that closes it, or a close long past."""

from __future__ import annotations

import subprocess
import time

from tlcore.adapt.config import AdaptConfig
from tlcore.runs.record import STALE_AFTER
from tlcore.runs.slots import claim_slot
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

CONFIG = AdaptConfig.from_dict({"source": "mnist5k", "target": "digits", "methods": ["source_only"]})


def held_run(workspace: Workspace, process: subprocess.Popen[bytes], config: AdaptConfig = CONFIG) -> str:
    """A run of ``config`` launched as ``process`` (its pid and start recorded, as a launch does) and
    running in it: its id."""
    store = RunStore(workspace)
    run_id = store.create(config)
    assert store.assign_pid(run_id, process.pid)
    assert store.start(run_id, process.pid)
    return run_id


def inline_run(workspace: Workspace, process: subprocess.Popen[bytes], config: AdaptConfig = CONFIG) -> str:
    """A run of ``config`` running inline in ``process`` (its slot claimed in its name, its start recorded,
    as :func:`tlcore.runs.jobs.run_inline` does; no launch): its id."""
    store = RunStore(workspace)
    run_id = store.create(config)
    assert claim_slot(store, run_id, process.pid, max_running=100) == "started"
    return run_id


def closed_ago(workspace: Workspace, run_id: str, seconds: float) -> None:
    """The run's last change (its close) ``seconds`` ago."""
    store = RunStore(workspace)
    with store.connect() as conn:
        conn.execute("UPDATE runs SET updated = ? WHERE id = ?", (time.time() - seconds, run_id))


def unanswered_run(workspace: Workspace, run_id: str, seconds: float) -> None:
    """A cancel asked of the run ``seconds`` ago, no sign of life from its worker since."""
    store = RunStore(workspace)
    store.request_cancel(run_id)
    then = time.time() - seconds
    with store.connect() as conn:
        conn.execute("UPDATE runs SET updated = ?, heartbeat = ? WHERE id = ?", (then, then, run_id))


def silent_run(workspace: Workspace, run_id: str) -> str:
    """The running run closed ``interrupted`` by a look, as after :data:`STALE_AFTER` seconds without a
    sign of life from its worker (paused, or stuck in C code): its reason."""
    store = RunStore(workspace)
    then = time.time() - STALE_AFTER - 10
    with store.connect() as conn:
        conn.execute("UPDATE runs SET updated = ?, heartbeat = ? WHERE id = ?", (then, then, run_id))
    assert store.mark_stale() == [run_id]
    record = store.get(run_id)
    assert record.status == "interrupted" and record.error.startswith("no sign of life from the worker")
    return record.error
