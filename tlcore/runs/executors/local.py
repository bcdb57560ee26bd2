"""The ``local`` executor: each trial an ordinary launched run of this workspace.

A trial's run is started with :func:`tlcore.runs.jobs.spawn` (its own worker process, which survives
the driver) and waits for one of the workspace's run slots like any run the app launches
(:mod:`tlcore.runs.slots`, ``TLSTUDIO_MAX_RUNNING``). The driver hands over at most
:meth:`LocalExecutor.capacity` trials at once, so a sweep never starts all its worker processes at
once (each imports torch); by default that is the slot count, so no handed-over trial waits long.
"""

from __future__ import annotations

import contextlib

from tlcore.adapt.config import AdaptConfig
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.runs import jobs
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


class LocalExecutor:
    """Trials as launched runs of ``workspace`` (see the module docstring)."""

    def __init__(self, workspace: Workspace, settings: ExecutorSettings, worker: str | None = None) -> None:
        self.store, self.settings, self.worker = RunStore(workspace), settings, worker

    def start(self) -> None:
        pass

    def capacity(self) -> int:
        return self.settings.max_concurrent or Limits.from_env().max_running

    def submit(self, run_id: str, config: AdaptConfig) -> None:
        jobs.spawn(self.store, run_id, worker=self.worker)

    def poll(self) -> None:
        pass  # the launched workers record everything themselves

    def cancel(self, run_id: str) -> None:
        with contextlib.suppress(TLError):  # it ended meanwhile
            self.store.request_cancel(run_id)

    def shutdown(self) -> None:
        pass
