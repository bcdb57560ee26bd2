"""The ``ray`` executor: each trial a Ray task; the driver writes every result into its own store.

Why tasks and not Ray Tune trials: a sweep's trials are already expanded (:mod:`tlcore.runs.sweep`)
and recorded by the driver in its own run store; a task (a function in, a value out) is exactly
"run this config there, bring everything back", while Tune would add its own experiment folders,
checkpoint syncing and trial bookkeeping beside ours. Retries, cancellation and placement are
Ray's: ``max_retries=1`` (a killed worker's trial runs once more, then fails), ``ray.cancel``, and
the ``SPREAD`` strategy (trials over the nodes).

On the worker (:mod:`tlcore.runs.executors.ray_trial`), :func:`run_trial` runs the trial through
the same :func:`tlcore.runs.jobs.execute` as a local run, in a scratch workspace of its node, and
returns every file that left in the run's folder (``result.json``, ``model.pt`` and whatever else
the run store's finish writes) as bytes: no filesystem is shared between the driver and the nodes.
The driver writes them with :meth:`~tlcore.runs.store.RunStore.adopt` (atomically, then ``done``),
and the source-only baselines the trial trained into its own baseline cache, as a local trial leaves
them (for ``diagnose``'s label-shift estimate and later runs of the same budget); a failed trial is
closed with its reason. Progress events travel through a small actor (:class:`ProgressBoard`) into
the run's history, so a Ray trial shows live progress like a local one.

The workspace's files that a trial's domains read (its uploads, torchvision files under the
workspace's data root) travel the other way: each domain's files are put into Ray's object store
once per sweep session (:meth:`RayExecutor.shipped`; later trials get the same bytes, even if the
upload was deleted meanwhile) and written into the node's scratch workspace, at the same place,
before the trial runs. A file path or ``@folder`` is read where the trial runs: on an existing
cluster it must be there on every node (the embedded cluster's node is this machine).

Run slots: on the **embedded** cluster (this machine) a trial also claims one of the workspace's
run slots (:mod:`tlcore.runs.slots`, ``TLSTUDIO_MAX_RUNNING``) before its task is submitted, like a
local run; until then it waits ``queued`` in the driver. On an **existing** cluster the cluster's
resources decide (``--cpus-per-trial``, ``--max-concurrent``).

A retried attempt starts its progress again from 0: its start is a marked event in the run's
history. A worker that died leaves the tail of its Ray logs in the run's ``worker.log`` (the
embedded cluster's logs are removed at shutdown), or where they are on an existing cluster's node.

Connecting, with Ray 2.60's traps handled (embedded cluster on loopback, token auth, SIGTERM,
session folders): :mod:`tlcore.runs.executors.ray_session`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tlcore.adapt.config import AdaptConfig
from tlcore.errors import TLError
from tlcore.events import ProgressEvent
from tlcore.limits import Limits
from tlcore.runs import jobs
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.executors.ray_session import RaySession, remove_stale
from tlcore.runs.executors.ray_trial import ProgressBoard, TrialTask, remove_scratch, run_trial
from tlcore.runs.run_files import LOG_FILE
from tlcore.runs.slots import claim_slot
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

SCRATCH_PREFIX = "tlstudio-ray-"  # <tmp>/tlstudio-ray-<driver pid>-*: a node's scratch workspace
CANCEL_GRACE = jobs.CANCEL_GRACE  # seconds a cancelled task may take before its worker is killed
CLEANUP_TIMEOUT = 30.0
LOG_TAIL = 40  # lines of each Ray log of a dead worker kept in the run's worker.log


@dataclass
class RayTrial:
    """Where a trial ran and what bringing it back cost (for the benchmark and the tests)."""

    node_id: str = ""
    node_ip: str = ""
    payload_bytes: int = 0
    worker_seconds: float = 0.0  # the task's own time on the worker
    transfer_seconds: float = 0.0  # ray.get of the payload plus writing it into the store


class RayExecutor:
    """Trials as Ray tasks (see the module docstring)."""

    def __init__(self, workspace: Workspace, settings: ExecutorSettings, worker: str | None = None) -> None:
        self.store, self.settings, self.worker = RunStore(workspace), settings, worker
        self.session = RaySession(settings.address)
        self.scratch = f"{SCRATCH_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.refs: dict[str, Any] = {}  # run id -> its task's ObjectRef
        self.waiting: dict[str, tuple[TrialTask, dict[str, Any]]] = {}  # run id -> task, options: no slot yet
        self.max_running: int | None = None  # the workspace's run slots (embedded cluster only)
        self.files: dict[str, dict[str, Any]] = {}  # domain spec -> {path in the workspace: ObjectRef}
        self.attempts: dict[str, list[tuple[str, int]]] = {}  # run id -> (node ip, worker pid) per attempt
        self.cancelled_at: dict[str, float] = {}
        self.trials: dict[str, RayTrial] = {}
        self.ray: Any = None
        self.board: Any = None
        self._task: Callable[..., Any] | None = None

    def start(self) -> None:
        if self.settings.address is None:
            self.max_running = Limits.from_env().max_running  # this machine's: a local run's slots
            remove_stale(Path(tempfile.gettempdir()), SCRATCH_PREFIX)
        threads = str(self.settings.cpus_per_trial)  # as a local worker's (tlcore.runs.slots.limit_threads)
        env = {"OMP_NUM_THREADS": threads, "NUMBA_NUM_THREADS": threads, "OMP_WAIT_POLICY": "PASSIVE"}
        self.ray = ray = self.session.open(env)
        self._task = ray.remote(run_trial)
        self.board = ray.remote(num_cpus=0)(ProgressBoard).remote()

    def capacity(self) -> int:
        return self.settings.ray_capacity(int(self.ray.cluster_resources().get("CPU", 1)), self.max_running)

    def submit(self, run_id: str, config: AdaptConfig) -> None:
        assert self._task is not None
        options = self._options(config)
        files = self.shipped(config)
        threads = self.settings.cpus_per_trial
        task = TrialTask(run_id, config.to_dict(), self.worker, self.scratch, threads, files)
        if self.max_running is None:  # an existing cluster: its resources decide
            self.store.start(run_id, os.getpid())  # running in this driver's name: its death closes it
            self._launch(task, options)
        else:
            self.waiting[run_id] = (task, options)
            self._claim_slots()

    def _claim_slots(self) -> None:
        """Submit the waiting trials that get one of the workspace's run slots, in launch order; the
        others stay ``queued`` (with this driver's pid and a fresh heartbeat)."""
        assert self.max_running is not None
        for run_id, (task, options) in list(self.waiting.items()):
            claim = claim_slot(self.store, run_id, os.getpid(), self.max_running, own_worker=False)
            if claim != "waiting":
                del self.waiting[run_id]
            if claim == "started":
                self._launch(task, options)

    def _launch(self, task: TrialTask, options: dict[str, Any]) -> None:
        assert self._task is not None
        self.store.record_event(task.run_id, ProgressEvent("stage", "ray", 0.0, message="submitted to Ray"))
        self.refs[task.run_id] = self._task.options(**options).remote(task, self.board)

    def shipped(self, config: AdaptConfig) -> dict[str, Any]:
        """``{path inside the workspace: ObjectRef of its bytes}`` for the workspace files the
        config's domains read (:func:`~tlcore.data.spec.workspace_files`), put into Ray's object
        store at a domain's first trial: later trials of this session get the same bytes, even when
        the file was deleted or replaced meanwhile; a :class:`TLError` when an upload is not in the
        workspace at its first trial."""
        from tlcore.data.spec import workspace_files  # noqa: PLC0415 - loads torch

        workspace = self.store.workspace
        for spec in (config.source, config.target):
            if spec not in self.files:
                paths = workspace_files(spec, workspace)
                names = [p.relative_to(workspace.root).as_posix() for p in paths]
                self.files[spec] = {
                    n: self.ray.put(p.read_bytes()) for n, p in zip(names, paths, strict=True)
                }
        return self.files[config.source] | self.files[config.target]

    def _options(self, config: AdaptConfig) -> dict[str, Any]:
        gpus = self.ray.cluster_resources().get("GPU", 0) > 0
        asks_gpu = (config.device or "").startswith("cuda")
        if asks_gpu and not gpus:
            raise TLError(f"trials ask for device {config.device}, but the Ray cluster has no GPU")
        return {
            "num_cpus": self.settings.cpus_per_trial,
            "num_gpus": 1 if asks_gpu or (config.device is None and gpus) else 0,
            "max_retries": 1,
            "retry_exceptions": False,
            "scheduling_strategy": "SPREAD",
        }

    def poll(self) -> None:
        if self.waiting:
            self._claim_slots()
        self._record_progress()
        now = time.monotonic()
        for run_id, ref in list(self.refs.items()):
            stop = self.store.heartbeat(run_id)
            if stop and run_id not in self.cancelled_at:
                self.cancel(run_id)
            elif run_id in self.cancelled_at and now - self.cancelled_at[run_id] > CANCEL_GRACE:
                self.ray.cancel(ref, force=True)
        if self.refs:
            ready, _ = self.ray.wait(list(self.refs.values()), num_returns=len(self.refs), timeout=0)
            for run_id, ref in list(self.refs.items()):
                if ref in set(ready):
                    self._collect(run_id, ref)

    def _record_progress(self) -> None:
        for kind, run_id, data in self.ray.get(self.board.drain.remote()):
            if kind == "begin":
                self._begin(run_id, data["node_ip"], data["pid"])
                continue
            for i, event in enumerate(data):
                self.store.record_event(run_id, ProgressEvent(**event), index=i == len(data) - 1)

    def _begin(self, run_id: str, node_ip: str, pid: int) -> None:
        """An attempt of the trial started: a marked event, so a retry's progress visibly restarts."""
        tries = self.attempts.setdefault(run_id, [])
        tries.append((node_ip, pid))
        message = f"running on Ray node {node_ip}, worker pid {pid}"
        if len(tries) > 1:
            message = f"attempt {len(tries)}, its Ray worker having died: progress starts again; {message}"
        self.store.record_event(run_id, ProgressEvent("stage", "ray", 0.0, message=message))

    def _collect(self, run_id: str, ref: Any) -> None:
        """Write the finished task's outcome into the store."""
        exceptions = self.ray.exceptions
        del self.refs[run_id]
        started = time.perf_counter()
        try:
            payload = self.ray.get(ref)
        except exceptions.TaskCancelledError:
            self._end(run_id, "cancelled", "cancelled on request")
            return
        except exceptions.RayTaskError as exc:
            self._end(run_id, "failed", jobs.crash_reason(exc.cause or exc))
            return
        except exceptions.RayError as exc:
            if run_id in self.cancelled_at:
                self._end(run_id, "cancelled", "cancelled on request; its worker was killed")
            else:
                self._record_progress()  # every attempt's start
                self._log(run_id, self._worker_logs(run_id))
                self._end(run_id, "failed", _died(exc))
            return
        self._record_progress()
        from tlcore.adapt.cache import BaselineCache  # noqa: PLC0415 - loads torch

        cache = BaselineCache.of_workspace(self.store.workspace)
        for name, data in payload["baselines"].items():
            cache.adopt(name, data)
        files = dict(payload["files"])
        node, pid = f"{payload['node_ip']} ({payload['node_id'][:12]})", payload["pid"]
        self._log(run_id, files.pop(LOG_FILE, b"") + f"ran on Ray node {node}, worker pid {pid}\n".encode())
        if payload["status"] == "done":
            self.store.adopt(run_id, files)
        else:
            self.store.end(run_id, payload["status"], payload["error"] or payload["status"])
        self.trials[run_id] = RayTrial(
            payload["node_id"],
            payload["node_ip"],
            sum(map(len, payload["files"].values())),
            payload["seconds"],
            time.perf_counter() - started,
        )

    def _end(self, run_id: str, status: Literal["failed", "cancelled"], reason: str) -> None:
        self._log(run_id, f"{status}: {reason}\n".encode())
        self.store.end(run_id, status, reason)

    def _log(self, run_id: str, text: bytes) -> None:
        with (self.store.folder(run_id) / LOG_FILE).open("ab") as handle:
            handle.write(text)

    def _worker_logs(self, run_id: str) -> bytes:
        """For a trial whose workers died: the tail of each attempt's Ray logs (the embedded
        cluster's are removed at shutdown), or where they are on an existing cluster's node."""
        out: list[str] = []
        logs = self.session.folder / "session_latest" / "logs" if self.session.folder else None
        for n, (node_ip, pid) in enumerate(self.attempts.get(run_id, []), 1):
            if logs is None:
                out.append(
                    f"attempt {n}: Ray's logs of worker pid {pid} are on node {node_ip}, in its session"
                )
                out.append(f"  folder's logs/ (worker-*-{pid}.err, python-core-worker-*_{pid}.log)")
                continue
            for path in sorted(
                [*logs.glob(f"worker-*-{pid}.*"), *logs.glob(f"python-core-worker-*_{pid}.log")]
            ):
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL:]
                if lines:
                    out += [f"--- attempt {n}, node {node_ip}: the end of Ray's {path.name}", *lines]
        return "".join(f"{line}\n" for line in out).encode()

    def cancel(self, run_id: str) -> None:
        if run_id in self.waiting:  # never submitted
            del self.waiting[run_id]
            self.store.end(run_id, "cancelled", "cancelled before it started")
            return
        ref = self.refs.get(run_id)
        if ref is None:
            with contextlib.suppress(TLError):
                self.store.request_cancel(run_id)
            return
        self.cancelled_at.setdefault(run_id, time.monotonic())
        self.ray.cancel(ref, force=False)

    def shutdown(self) -> None:
        for run_id in list(self.waiting):
            self.store.end(run_id, "cancelled", "the sweep's driver stopped before it started")
        self.waiting.clear()
        if self.ray is None or not self.ray.is_initialized():
            self.session.close()
            return
        with contextlib.suppress(Exception):  # a cluster gone already: nothing left to tidy there
            for run_id, ref in list(self.refs.items()):
                self.ray.cancel(ref, force=True)
                self.store.end(run_id, "cancelled", "the sweep's driver stopped before it finished")
            self._remove_scratch()
        self.session.close()
        if self.settings.address is None:  # the embedded cluster's nodes are this machine
            shutil.rmtree(Path(tempfile.gettempdir()) / self.scratch, ignore_errors=True)

    def _remove_scratch(self) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy  # noqa: PLC0415

        cleanup = self.ray.remote(num_cpus=0)(remove_scratch)
        refs = [
            cleanup.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
            ).remote(self.scratch)
            for node in self.ray.nodes()
            if node["Alive"]
        ]
        self.ray.wait(refs, num_returns=len(refs), timeout=CLEANUP_TIMEOUT)


def _died(exc: Exception) -> str:
    first = next(iter(str(exc).strip().splitlines()), "")
    first = re.sub(r"\s*Check \S+( files)? for more information\.", "", first)  # see worker.log instead
    return f"its Ray worker died, and again on the retry ({type(exc).__name__}: {first}); see worker.log"[
        :500
    ]
