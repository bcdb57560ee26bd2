"""The ``ray`` executor: each trial a Ray task; the driver writes every result into its own store.

Why tasks and not Ray Tune trials: a sweep's trials are already expanded (:mod:`tlcore.runs.sweep`)
and recorded by the driver in its own run store; a task (a function in, a value out) is exactly
"run this config there, bring everything back", while Tune would add its own experiment folders,
checkpoint syncing and trial bookkeeping beside ours. Retries, cancellation and placement are
Ray's: ``max_retries=1`` (a killed worker's trial runs once more, then fails), ``ray.cancel``, and
the ``SPREAD`` strategy (trials over the nodes).

On the worker, :func:`run_trial` runs the trial through the same :func:`tlcore.runs.jobs.execute`
as a local run, in a scratch workspace of its node (whose baseline cache its later trials reuse), and
returns every file that left in the run's folder (``result.json``, ``model.pt`` and whatever else
the run store's finish writes) as bytes: no filesystem is shared between the driver and the nodes.
The driver writes them with :meth:`~tlcore.runs.store.RunStore.adopt` (atomically, then ``done``);
a failed trial is closed with its reason. Progress events travel through a small actor
(:class:`ProgressBoard`) into the run's history, so a Ray trial shows live progress like a local one.

Connecting (:class:`RaySession`) handles Ray 2.60's traps:

- the **embedded** cluster (no address): ``ray.init(address="local")`` with the node address
  127.0.0.1, ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (read when Ray is imported; without it Ray
  resolves 127.0.0.1 to the machine's main address and binds there), no dashboard, a session folder
  of our own (``<tmp>/tlray-<pid>-*``, removed at shutdown; Ray never cleans its session folders,
  and those of dead drivers are removed at the next start) and a fresh token in ``RAY_AUTH_TOKEN``
  (Ray enables token auth for new clusters and would otherwise write one to ``~/.ray/auth_token``);
- an **explicit address** (``--address`` / ``$TLSTUDIO_RAY_ADDRESS``; never ``"auto"``, which joins
  whatever cluster it finds): a cluster with token auth (``ray start`` enables it when a token
  exists) needs ``RAY_AUTH_MODE=token`` on the driver, which Ray does not set for a connecting
  driver; it is set for you when ``RAY_AUTH_TOKEN`` or ``RAY_AUTH_TOKEN_PATH`` is given, and not
  merely because ``~/.ray/auth_token`` exists (a driver in token mode cannot create actors on a
  cluster without auth). The driver's ``tlcore`` travels to the workers (``runtime_env``
  ``py_modules``); the nodes need the packages of requirements.txt;
- ``ray.init`` replaces the process's SIGTERM handler: the previous one is put back, so SIGTERM
  still cancels the sweep (Ctrl-C semantics).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tlcore
from tlcore.adapt.config import AdaptConfig
from tlcore.errors import TLError
from tlcore.events import ProgressEvent
from tlcore.runs import jobs
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.record import pid_alive
from tlcore.runs.store import CONFIG_FILE, HISTORY_FILE, LOG_FILE, RunStore
from tlcore.workspace import Workspace

RAY_INSTALL = "pip install -r requirements-ray.txt  (or: pip install 'tlstudio[ray]')"
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
SESSION_PREFIX = "tlray-"  # <tmp>/tlray-<driver pid>-*: an embedded cluster's session folder
SCRATCH_PREFIX = "tlstudio-ray-"  # <tmp>/tlstudio-ray-<driver pid>-*: a node's scratch workspace
SEND_EVERY = 0.5  # seconds between a worker's progress batches
CANCEL_GRACE = jobs.CANCEL_GRACE  # seconds a cancelled task may take before its worker is killed
CLEANUP_TIMEOUT = 30.0
KNOWN_TO_DRIVER = (CONFIG_FILE, HISTORY_FILE)  # a run's files the driver wrote itself
UNCAPPED = 1 << 30  # a scratch store's run slots: Ray's scheduler is what caps a node's trials
TOKEN_ENV = {"RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"}


def import_ray(*, loopback: bool = False) -> Any:
    """The ``ray`` module, or a :class:`TLError` saying how to install it. ``loopback`` sets
    :data:`LOOPBACK_ENV` first when Ray is not imported yet (it is read once, at import)."""
    if loopback and "ray" not in sys.modules:
        os.environ.setdefault(LOOPBACK_ENV, "0")
    try:
        import ray  # noqa: PLC0415 - optional
    except ImportError:
        raise TLError(f"the ray executor needs Ray: {RAY_INSTALL}") from None
    return ray


class RaySession:
    """One connection of this process to a Ray cluster (see the module docstring)."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self.folder: Path | None = None  # the embedded cluster's session folder
        self._saved_env: dict[str, str | None] = {}
        self.ray: Any = None

    def open(self, worker_env: dict[str, str] | None = None) -> Any:
        """Connect (or start the embedded cluster); ``worker_env``: environment of its worker processes."""
        if self.address is None:
            remove_stale(Path(tempfile.gettempdir()), SESSION_PREFIX)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{SESSION_PREFIX}{os.getpid()}-"))
            self._set_env(LOOPBACK_ENV, os.environ.get(LOOPBACK_ENV, "0"))
            self._saved_env.setdefault("RAY_AUTH_MODE", os.environ.get("RAY_AUTH_MODE"))  # ray.init sets it
            if not (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")):
                self._set_env("RAY_AUTH_TOKEN", secrets.token_hex(32))
        elif not os.environ.get("RAY_AUTH_MODE") and TOKEN_ENV & set(os.environ):
            self._set_env("RAY_AUTH_MODE", "token")  # a token given for this connection: use it
        ray = import_ray(loopback=self.address is None)
        options: dict[str, Any] = {
            "logging_level": "ERROR",
            "log_to_driver": False,
            "runtime_env": {"py_modules": [str(Path(tlcore.__file__).parent)], "env_vars": worker_env or {}},
        }
        if self.address is None:
            options |= {"_node_ip_address": "127.0.0.1", "include_dashboard": False}
            options["_temp_dir"] = str(self.folder)
        handler = signal.getsignal(signal.SIGTERM)
        try:
            ray.init(address=self.address or "local", **options)
        except Exception as exc:
            self.close()
            raise TLError(_connect_error(self.address, exc)) from exc
        finally:
            if threading.current_thread() is threading.main_thread() and handler is not None:
                signal.signal(signal.SIGTERM, handler)
        self.ray = ray
        return ray

    def close(self) -> None:
        if self.ray is not None:
            self.ray.shutdown()
            self.ray = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _set_env(self, name: str, value: str) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def _connect_error(address: str | None, exc: Exception) -> str:
    first = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
    if address is None:
        return f"could not start an embedded Ray cluster: {first}"
    return (
        f"could not connect to the Ray cluster at {address}: {first} (a cluster with token auth needs "
        "RAY_AUTH_MODE=token and its token in RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)"
    )


def remove_stale(folder: Path, prefix: str) -> None:
    """Remove ``folder/<prefix><pid>-*`` left by processes that are gone."""
    for path in folder.glob(f"{prefix}*"):
        match = re.match(rf"{re.escape(prefix)}(\d+)-", path.name)
        if match and not pid_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)


class ProgressBoard:
    """A Ray actor (no CPU) holding the trials' progress events until the driver drains them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, list[dict[str, Any]]]] = []

    def push(self, run_id: str, events: list[dict[str, Any]]) -> None:
        self.events.append((run_id, events))

    def drain(self) -> list[tuple[str, list[dict[str, Any]]]]:
        out, self.events = self.events, []
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
    the node's scratch workspace name and the torch threads (the task's CPUs)."""

    run_id: str
    config: dict[str, Any]
    worker: str | None
    scratch: str
    threads: int


def run_trial(task: TrialTask, board: Any) -> dict[str, Any]:
    """The Ray task: run one trial on this node and return everything the driver needs.

    Returns ``status``, ``error``, ``files`` (name → bytes: every file of the finished run's folder
    but its config and history, which the driver already has) and where it ran.
    """
    import ray  # noqa: PLC0415 - on a Ray worker
    import torch  # noqa: PLC0415

    torch.set_num_threads(task.threads)
    started = time.perf_counter()
    store = RunStore(Workspace.resolve(Path(tempfile.gettempdir()) / task.scratch))
    local_id = store.create(AdaptConfig.from_dict(task.config))
    sender = _Sender(board, task.run_id)
    try:
        record = jobs.execute(store, local_id, task.worker, sender.on_event, max_running=UNCAPPED)
        last = sender.flush()
        if last is not None:
            ray.get(last)  # every event is on the board before the driver sees the task end
        kept = [p for p in record.folder.iterdir() if p.is_file() and p.name not in KNOWN_TO_DRIVER]
        files = {p.name: p.read_bytes() for p in kept}
        context = ray.get_runtime_context()
        return {
            "status": record.status,
            "error": record.error,
            "files": files,
            "node_id": context.get_node_id(),
            "node_ip": ray.util.get_node_ip_address(),
            "pid": os.getpid(),
            "seconds": time.perf_counter() - started,
        }
    finally:
        with contextlib.suppress(TLError):
            store.delete(local_id)


def remove_scratch(scratch: str) -> None:
    """A cleanup task: remove this node's scratch workspace of the sweep."""
    shutil.rmtree(Path(tempfile.gettempdir()) / scratch, ignore_errors=True)


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
        self.cancelled_at: dict[str, float] = {}
        self.trials: dict[str, RayTrial] = {}
        self.ray: Any = None
        self.board: Any = None
        self._task: Callable[..., Any] | None = None

    def start(self) -> None:
        if self.settings.address is None:
            remove_stale(Path(tempfile.gettempdir()), SCRATCH_PREFIX)
        threads = str(self.settings.cpus_per_trial)  # as a local worker's (tlcore.runs.slots.limit_threads)
        env = {"OMP_NUM_THREADS": threads, "NUMBA_NUM_THREADS": threads, "OMP_WAIT_POLICY": "PASSIVE"}
        self.ray = ray = self.session.open(env)
        self._task = ray.remote(run_trial)
        self.board = ray.remote(num_cpus=0)(ProgressBoard).remote()

    def capacity(self) -> int:
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        return self.settings.max_concurrent or max(1, cpus // self.settings.cpus_per_trial)

    def submit(self, run_id: str, config: AdaptConfig) -> None:
        assert self._task is not None
        options = self._options(config)
        self.store.start(run_id, os.getpid())  # running in this driver's name: its death closes it
        self.store.record_event(run_id, ProgressEvent("stage", "ray", 0.0, message="submitted to Ray"))
        task = TrialTask(run_id, config.to_dict(), self.worker, self.scratch, self.settings.cpus_per_trial)
        self.refs[run_id] = self._task.options(**options).remote(task, self.board)

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
        for run_id, events in self.ray.get(self.board.drain.remote()):
            for i, event in enumerate(events):
                self.store.record_event(run_id, ProgressEvent(**event), index=i == len(events) - 1)

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
                self._end(run_id, "failed", _died(exc))
            return
        self._record_progress()
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

    def cancel(self, run_id: str) -> None:
        ref = self.refs.get(run_id)
        if ref is None:
            with contextlib.suppress(TLError):
                self.store.request_cancel(run_id)
            return
        self.cancelled_at.setdefault(run_id, time.monotonic())
        self.ray.cancel(ref, force=False)

    def shutdown(self) -> None:
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
    return f"its Ray worker died, and again on the retry ({type(exc).__name__}: {first})"[:500]
