"""The worker side of the ``ray`` executor: the Ray task that runs one trial on a node and the
actor its progress events travel through.

:func:`run_trial` runs the trial through the same :func:`tlcore.runs.jobs.execute` as a local run,
in a scratch workspace of its node (whose baseline cache its later trials reuse), and returns every
file that left in the run's folder as bytes: no filesystem is shared between driver and nodes. The
workspace files a trial's domains read (uploads, torchvision files under the workspace's data root)
come along as objects in Ray's store and are written at the same place in that scratch workspace
first (once per node), so ``upload:NAME`` or ``usps`` loads there as on the driver.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from tlcore.adapt.config import AdaptConfig
from tlcore.errors import TLError
from tlcore.events import ProgressEvent
from tlcore.runs import jobs
from tlcore.runs.run_files import CONFIG_FILE, HISTORY_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace, atomic_write

SEND_EVERY = 0.5  # seconds between a worker's progress batches
KNOWN_TO_DRIVER = (CONFIG_FILE, HISTORY_FILE)  # a run's files the driver wrote itself
UNCAPPED = 1 << 30  # a scratch store's run slots: Ray's scheduler is what caps a node's trials


Note = tuple[str, str, Any]  # ("events", run id, [event dicts]) or ("begin", run id, {"node_ip", "pid"})


class ProgressBoard:
    """A Ray actor (no CPU) holding the trials' notes until the driver drains them, in the order they
    came: each attempt's start (its node and worker pid: a retried trial begins again from 0) and
    its progress events."""

    def __init__(self) -> None:
        self.notes: list[Note] = []

    def begin(self, run_id: str, node_ip: str, pid: int) -> None:
        self.notes.append(("begin", run_id, {"node_ip": node_ip, "pid": pid}))

    def push(self, run_id: str, events: list[dict[str, Any]]) -> None:
        self.notes.append(("events", run_id, events))

    def drain(self) -> list[Note]:
        out, self.notes = self.notes, []
        return out


class _Sender:
    """A worker's progress events, batched to the board every :data:`SEND_EVERY` seconds."""

    def __init__(self, board: Any, run_id: str) -> None:
        self.board, self.run_id = board, run_id
        self.buffer: list[dict[str, Any]] = []
        self.sent_at = time.monotonic()

    def on_event(self, event: ProgressEvent) -> None:
        self.buffer.append(event.to_dict())
        if time.monotonic() - self.sent_at >= SEND_EVERY:
            self.flush()

    def flush(self) -> Any:
        self.sent_at = time.monotonic()
        if not self.buffer:
            return None
        batch, self.buffer = self.buffer, []
        return self.board.push.remote(self.run_id, batch)


@dataclass(frozen=True)
class TrialTask:
    """What a Ray task needs to run one trial: the driver's run id, the config, the worker function,
    the node's scratch workspace name, the torch threads (the task's CPUs) and the workspace files
    its domains read (path inside the workspace -> ObjectRef of its bytes)."""

    run_id: str
    config: dict[str, Any]
    worker: str | None
    scratch: str
    threads: int
    files: dict[str, Any]


def run_trial(task: TrialTask, board: Any) -> dict[str, Any]:
    """The Ray task: run one trial on this node and return everything the driver needs.

    Returns ``status``, ``error``, ``files`` (name → bytes: every file of the finished run's folder
    but its config and history, which the driver already has), ``baselines`` (name → bytes: the
    source-only baselines this node's cache gained meanwhile, for the driver's cache, as a local
    trial leaves its baseline in the workspace) and where it ran.
    """
    import ray  # noqa: PLC0415 - on a Ray worker
    import torch  # noqa: PLC0415

    from tlcore.adapt.cache import BaselineCache  # noqa: PLC0415 - loads torch

    torch.set_num_threads(task.threads)
    honour_interrupts()
    board.begin.remote(task.run_id, ray.util.get_node_ip_address(), os.getpid())
    started = time.perf_counter()
    workspace = Workspace.resolve(Path(tempfile.gettempdir()) / task.scratch)
    place_files(workspace, task.files)
    cache = BaselineCache.of_workspace(workspace)
    cached = cache.checkpoints()
    store = RunStore(workspace)
    local_id = store.create(AdaptConfig.from_dict(task.config))
    sender = _Sender(board, task.run_id)
    try:
        record = jobs.execute(store, local_id, task.worker, sender.on_event, max_running=UNCAPPED)
        last = sender.flush()
        if last is not None:
            ray.get(last)  # every event is on the board before the driver sees the task end
        kept = [p for p in record.folder.iterdir() if p.is_file() and p.name not in KNOWN_TO_DRIVER]
        files = {p.name: p.read_bytes() for p in kept}
        assert cache.folder is not None
        baselines = {name: (cache.folder / name).read_bytes() for name in cache.checkpoints() - cached}
        context = ray.get_runtime_context()
        return {
            "status": record.status,
            "error": record.error,
            "files": files,
            "baselines": baselines,
            "node_id": context.get_node_id(),
            "node_ip": ray.util.get_node_ip_address(),
            "pid": os.getpid(),
            "seconds": time.perf_counter() - started,
        }
    finally:
        with contextlib.suppress(TLError):
            store.delete(local_id)


def place_files(workspace: Workspace, files: dict[str, Any]) -> None:
    """Write each shipped file (path inside the workspace -> ObjectRef of its bytes) at its place in
    ``workspace``, unless an earlier trial on this node did; trials running side by side write the
    same bytes atomically."""
    import ray  # noqa: PLC0415 - on a Ray worker

    for name, ref in files.items():
        path = workspace.inside(*PurePosixPath(name).parts)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, partial(Path.write_bytes, data=ray.get(ref)))


def honour_interrupts() -> None:
    """Let Ray's cancel reach the trial: it interrupts the task as a SIGINT would, which Python drops
    while SIGINT is ignored. A node started from a background job or under ``nohup`` passes an ignored
    SIGINT on to its workers, and their cancelled trials then ran until killed a grace later."""
    main = threading.current_thread() is threading.main_thread()
    if main and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def remove_scratch(scratch: str) -> None:
    """A cleanup task: remove this node's scratch workspace of the sweep."""
    shutil.rmtree(Path(tempfile.gettempdir()) / scratch, ignore_errors=True)
