"""A sweep held by a driver that never reads its cancel flag: a real process that only sleeps (one
variant ignoring SIGTERM too), claimed as the sweep's driver with its start recorded, a trial run of
the sweep running, and a cancel that goes unanswered."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from tlcore.runs import driver
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

SPEC = SweepSpec("mnist5k", "digits", (("source_only",),), seeds=(0, 1))
IGNORE_TERM = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"


Processes = Callable[..., subprocess.Popen[bytes]]  # the ``processes`` fixture (tests/conftest.py)


def hung(*, ignore_term: bool = False) -> subprocess.Popen[bytes]:
    """A process that sleeps for ten minutes (``ignore_term``: SIGTERM ignored), once it is ready."""
    code = (IGNORE_TERM if ignore_term else "") + "import time; print('ready', flush=True); time.sleep(600)"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


def held(
    workspace: Workspace, process: subprocess.Popen[bytes], *, launched: bool = False
) -> tuple[str, str]:
    """A sweep claimed by ``process`` (``launched``: recorded first as the driver launched for it, as
    :func:`tlcore.runs.driver.launch` does; else driving it inline) with one trial run running (in this
    process): its id and the run's."""
    store = SweepStore(workspace)
    sweep_id = driver.create(workspace, SPEC)
    if launched:
        assert store.assign_pid(sweep_id, process.pid)
    store.claim(sweep_id, process.pid)
    trial = driver.summary(workspace, sweep_id).trials[0].trial
    assert trial.config is not None
    run_id = store.runs.create(trial.config, sweep_id=sweep_id, trial_key=trial.key)
    assert store.runs.start(run_id, os.getpid())
    return sweep_id, run_id


def unanswered_for(workspace: Workspace, sweep_id: str, seconds: float) -> None:
    """A cancel asked of the sweep ``seconds`` ago, no sign of life from its driver since."""
    store = SweepStore(workspace)
    store.request_cancel(sweep_id)
    with store.runs.connect() as conn:
        then = time.time() - seconds
        conn.execute("UPDATE sweeps SET updated = ?, heartbeat = ? WHERE id = ?", (then, then, sweep_id))


def sweep_closed_ago(workspace: Workspace, sweep_id: str, seconds: float) -> None:
    """The sweep's last change (its close) ``seconds`` ago."""
    store = SweepStore(workspace)
    with store.runs.connect() as conn:
        conn.execute("UPDATE sweeps SET updated = ? WHERE id = ?", (time.time() - seconds, sweep_id))


def end(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` if a test left it alive, and reap it."""
    process.kill()
    process.wait()
