"""An executor for tests of everything above the executors: each trial runs at once, in this process."""

from __future__ import annotations

from tlcore.adapt.config import AdaptConfig
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


class InlineExecutor:
    def __init__(self, workspace: Workspace, worker: str) -> None:
        self.store, self.worker = RunStore(workspace), worker

    def start(self) -> None:
        pass

    def capacity(self) -> int:
        return 1

    def submit(self, run_id: str, config: AdaptConfig) -> None:
        jobs.execute(self.store, run_id, self.worker)

    def poll(self) -> None:
        pass

    def cancel(self, run_id: str) -> None:
        pass

    def shutdown(self) -> None:
        pass
