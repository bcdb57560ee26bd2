"""Jobs: run an adaptation for a stored run, in its own process or inline, recording everything.

:func:`launch` starts ``python -m tlcore.runs.worker WORKSPACE RUN_ID`` in a new session (so neither a
browser reload nor the app's restart stops it) and returns at once (:func:`launch_all`: several, all or
none); :func:`run_inline` does the same work in the calling process (the CLI without ``--detach``).
Both go through :func:`execute`, which feeds the pipeline's progress events into the
:class:`~tlcore.runs.RunStore`, answers its ``should_stop`` from the run's cancel flag, and closes the
run as done / failed / cancelled. Both first wait for a free slot (:mod:`tlcore.slots`: at most
``TLSTUDIO_MAX_RUNNING`` runs train at once).

The function that does the work is injected as ``"module:function"`` (None means
:data:`DEFAULT_WORKER`, the real pipeline :func:`tlcore.adapt.run_adaptation`, read at call time).
It is called as ``fn(config, workspace, on_event=..., should_stop=...)``, plus ``pair=...`` when the
caller of :func:`run_inline` loaded the run's pair already (the CLI, for its estimate: the run uses
it instead of loading it again), and returns an object with
``to_dict()`` (JSON-safe; its ``status``/``reason`` may say ``failed`` or ``cancelled``), ``model``
(an ``nn.Module`` saved as the checkpoint, or None), ``predictions`` (an object whose
``save(path)`` writes ``predictions.npz``, or None) and ``target`` (the target domain the run loaded,
whose blank warning the run's folder keeps, or None: the first read that needs the warning loads it,
as for a run stored before workers passed it: :func:`tlcore.runs.blank_target.run_blank_warning`).
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import tlcore
from tlcore.adapt.config import AdaptConfig
from tlcore.commands import command_in
from tlcore.errors import TLError
from tlcore.events import ProgressEvent
from tlcore.limits import Limits
from tlcore.runs import process_stop
from tlcore.runs.blank_target import run_blank_warning
from tlcore.runs.record import ACTIVE, RunRecord
from tlcore.runs.repeats import create_runs
from tlcore.runs.run_files import LOG_FILE
from tlcore.runs.slots import wait_for_slot
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

if TYPE_CHECKING:
    from tlcore.adapt.pair import RunPair

DEFAULT_WORKER = "tlcore.adapt.pipeline:run_adaptation"
INDEX_EVERY = 0.5  # seconds between step-progress writes to the index (other events always go through)
STOP_CHECK_EVERY = 0.5  # seconds between reads of the cancel flag
HEARTBEAT_EVERY = 2.0
CANCEL_GRACE = 30.0  # seconds a worker may take to honour a cancel before it is killed
MEMORY_HINT = "try a smaller batch size, fewer samples or a smaller model"
# torch's CUDA / MPS "out of memory" and its CPU allocator's "can't allocate memory" are RuntimeErrors
_OOM = re.compile(r"out of memory|can't allocate memory|not enough memory", re.IGNORECASE)

_PACKAGE_PARENT = Path(tlcore.__file__).resolve().parent.parent


class AdaptOutcome(Protocol):
    """What a worker function returns (the pipeline's ``AdaptResult``)."""

    model: Any
    source_model: Any  # the model that scored the source (AdaBN's source statistics) or None
    predictions: Any  # TargetPredictions or None
    target: Any  # the harmonised target Domain the run loaded (its blank warning), or None: read later

    def to_dict(self) -> dict[str, Any]: ...


WorkerFn = Callable[..., AdaptOutcome]
EventHandler = Callable[[ProgressEvent], None]


def resolve_worker(spec: str) -> WorkerFn:
    """The function named by ``"package.module:function"``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def launch(
    workspace: Workspace,
    config: AdaptConfig,
    *,
    worker: str | None = None,
    cancel_grace: float = CANCEL_GRACE,
    unless_repeated: bool = False,
) -> str:
    """Create a run and start its worker process; returns its id at once (:func:`launch_all` of one)."""
    return launch_all(
        workspace, [config], worker=worker, cancel_grace=cancel_grace, unless_repeated=unless_repeated
    )[0]


def launch_all(
    workspace: Workspace,
    configs: Sequence[AdaptConfig],
    *,
    worker: str | None = None,
    cancel_grace: float = CANCEL_GRACE,
    unless_repeated: bool = False,
) -> list[str]:
    """Create one run per config, then start their worker processes; returns the run ids at once. With
    ``unless_repeated``, a config that repeats a queued, running or done run (one launched meanwhile by
    another session or the CLI) raises :class:`~tlcore.runs.repeats.RepeatedError` and creates none
    (:func:`~tlcore.runs.repeats.create_runs`). Runs whose worker is gone are closed first, so the new
    runs never queue behind a dead one. A worker that cannot start fails its run; the others still
    start, then the first such :class:`TLError` is raised."""
    store = RunStore(workspace)
    store.mark_stale()
    run_ids = create_runs(store, configs, unless_repeated=unless_repeated)
    failures: list[TLError] = []
    for run_id in run_ids:
        try:
            spawn(store, run_id, worker=worker, cancel_grace=cancel_grace)
        except TLError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]
    return run_ids


def spawn(
    store: RunStore, run_id: str, *, worker: str | None = None, cancel_grace: float = CANCEL_GRACE
) -> None:
    """Start the worker process of the queued run ``run_id`` (what :func:`launch_all` does once it
    created the runs; a sweep creates its trials' runs itself)."""
    args = ["tlcore.runs.worker", str(store.workspace.root), run_id, "--worker", worker or DEFAULT_WORKER]
    try:
        args += ["--cancel-grace", str(cancel_grace)]
        process = start_detached(args, store.folder(run_id) / LOG_FILE, store.workspace.root)
    except OSError as exc:
        store.end(run_id, "failed", f"could not start the worker process: {exc.strerror}")
        raise TLError(f"could not start a worker process for run {run_id}: {exc.strerror}") from exc
    store.assign_pid(run_id, process.pid)


def child_env() -> dict[str, str]:
    """This process's environment with this package first on ``PYTHONPATH``: a child ``python -m``
    of it runs this tlcore, from whatever folder."""
    paths = [str(_PACKAGE_PARENT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def start_detached(module_args: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """``python -m MODULE ARGS...`` in ``cwd`` and a new session (neither a browser reload nor the
    app's restart stops it), this package importable, output appended to ``log``, reaped at exit."""
    env = child_env()
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", *module_args],
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    # Reap the child when it exits, so a finished or killed worker never lingers as a zombie.
    threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()
    return process


def run_inline(
    workspace: Workspace,
    config: AdaptConfig,
    on_event: EventHandler | None = None,
    *,
    worker: str | WorkerFn | None = None,
    pair: RunPair | None = None,
) -> RunRecord:
    """Create a run and execute it in this process; returns its final record. ``pair``: the pair of
    ``config`` loaded already from ``workspace`` (:func:`~tlcore.adapt.pair.load_run_pair`), handed
    to the worker instead of being loaded again."""
    store = RunStore(workspace)
    return execute(store, store.create(config), worker, on_event, pair=pair)


def cancel(workspace: Workspace, run_id: str, wait_s: float = 0.0, *, force: bool = False) -> RunRecord:
    """Ask a run to stop; with ``wait_s`` > 0, wait that long for it to end; with ``force``, a worker that
    has not ended by then is stopped (:func:`stop_worker`). An ended run is refused (a worker that outlives
    it is :func:`stop_outliving_worker`'s, which ``runs cancel --force`` tries first). Returns its record."""
    store = RunStore(workspace)
    record = store.request_cancel(run_id)
    if wait_s > 0 and record.active:
        try:
            record = wait(workspace, run_id, wait_s)
        except TLError:
            record = store.get(run_id)
    return stop_worker(store, record) if force and record.active else record


def stop_worker(store: RunStore, record: RunRecord) -> RunRecord:
    """End the process of the active run's worker that did not answer its cancel (stopped, or stuck where
    neither the run nor its watchdog thread can read the flag), only where its recorded start proves the
    pid still names it (:func:`~tlcore.runs.process_stop.stop`: an unknown start is refused, naming the
    pid); close the run ``cancelled`` saying so, over the close the worker made on its way out. Returns
    its record."""
    if record.pid is not None:  # none: no worker took it up, the cancel closed it
        if record.sweep_id is not None:  # a start recorded too where an earlier version's Ray claim kept it
            _refuse_a_drivers_trial(store, record)
        what = f"the worker of run {record.id}"
        said = process_stop.stopped_by_force(record.pid, record.worker_started, what, "worker")
        if said is not None:
            store.end(record.id, "cancelled", said, over=(*ACTIVE, "cancelled", "interrupted"))
    return store.close_if_stale(store.get(record.id))  # gone by itself meanwhile: closed as such


def stop_outliving_worker(workspace: Workspace, run_id: str) -> str | None:
    """Where the run's worker provably outlives it (:func:`~tlcore.runs.process_stop.still_runs`: a run
    closed ``interrupted`` on its worker's silence, by this look too, or one a worker launched for it
    alone closed and hangs after), end that process (:func:`~tlcore.runs.process_stop.stop_outliving`),
    the run left as it is; the one line saying so (in the run's log too). None where there is no such
    worker: a live run (:func:`cancel` with ``force`` stops a hung one), or its worker gone."""
    store = RunStore(workspace)
    before = store.get(run_id)
    record = store.close_if_stale(before)
    if record.sweep_id is not None and process_stop.worker_still_runs(record) is not None:
        _refuse_a_drivers_trial(store, record)
    started, launched, log = record.worker_started, record.worker_launched, record.folder / LOG_FILE
    return process_stop.stop_outliving(
        before, record, process_stop.RUN, started=started, launched=launched, log=log
    )


def _refuse_a_drivers_trial(store: RunStore, record: RunRecord) -> None:
    """A :class:`TLError` where the sweep trial ``record`` trains in its sweep driver's name (a Ray
    trial: its pid is the driver's, no start of its own recorded): ending that process is the sweep's
    forced cancel, never the run's."""
    with store.connect() as conn:
        row = conn.execute("SELECT pid FROM sweeps WHERE id = ?", (record.sweep_id,)).fetchone()
    if row is not None and row["pid"] == record.pid:
        cancel = command_in(store.workspace.root, "sweeps", "cancel", record.sweep_id, "--force")
        raise TLError(
            f"run {record.id} trains in the driver of its sweep {record.sweep_id} (process {record.pid}), "
            f"not in a worker of its own: stop the sweep instead ({cancel})"
        )


def wait(workspace: Workspace, run_id: str, timeout: float = 60.0, poll: float = 0.1) -> RunRecord:
    """Block until the run is no longer queued/running; :class:`TLError` after ``timeout`` s.

    Each poll checks the record it read for a dead worker and closes the run if so.
    """
    store = RunStore(workspace)
    deadline = time.monotonic() + timeout
    while True:
        record = store.close_if_stale(store.get(run_id))
        if not record.active:
            return record
        if time.monotonic() > deadline:
            raise TLError(f"run {run_id} is still {record.status} after {timeout:g} s")
        time.sleep(poll)


def execute(
    store: RunStore,
    run_id: str,
    worker: str | WorkerFn | None = None,
    on_event: EventHandler | None = None,
    cancel_grace: float = CANCEL_GRACE,
    *,
    max_running: int | None = None,
    pair: RunPair | None = None,
) -> RunRecord:
    """Wait for a free slot (``max_running``, default from :class:`~tlcore.limits.Limits`), do the
    work of a queued run in this process and close it (``pair``: :func:`run_inline`'s); returns the
    final record.

    Failures never escape: a :class:`TLError` becomes ``failed`` with its message, running out of
    memory ``failed`` with ``out of memory (...)``, any other exception ``failed`` with
    ``Type: message``; the last two append their traceback to the run's log. ``KeyboardInterrupt``
    (Ctrl-C, or SIGTERM in a worker) closes the run as ``cancelled`` and is re-raised.
    """
    try:
        if not wait_for_slot(store, run_id, max_running or Limits.from_env().max_running):
            return store.get(run_id)  # cancelled (or declared dead) before it started
    except TLError as exc:  # a bad TLSTUDIO_MAX_RUNNING
        store.end(run_id, "failed", str(exc))
        return store.get(run_id)
    except KeyboardInterrupt:
        store.end(run_id, "cancelled", "interrupted while waiting for a free slot")
        raise
    recorder = _Recorder(store, run_id, on_event)
    watchdog = _Watchdog(store, run_id, cancel_grace)
    watchdog.start()
    try:
        fn = worker if callable(worker) else resolve_worker(worker or DEFAULT_WORKER)
        config = AdaptConfig.from_dict(store.get(run_id).config)
        handed = {} if pair is None else {"pair": pair}
        outcome = fn(
            config, store.workspace, on_event=recorder.on_event, should_stop=recorder.should_stop, **handed
        )
        result = outcome.to_dict()
        status, reason = result.get("status"), result.get("reason") or ""
        if recorder.stopped or status == "cancelled":
            store.end(run_id, "cancelled", reason or "cancelled on request")
        elif status == "failed":  # e.g. the loss turned NaN: the pipeline says why
            store.end(run_id, "failed", reason or "the run failed")
        else:
            predictions = outcome.predictions
            save_predictions = None if predictions is None else predictions.save
            classes = result.get("classes") or ()
            writer = _checkpoint_writer(outcome.model, config, classes, outcome.source_model)
            if outcome.target is not None:  # stored before done: `runs show` then loads no data
                run_blank_warning(store, store.get(run_id), outcome.target)
            store.finish(run_id, result, writer, save_predictions)
    except TLError as exc:
        store.end(run_id, "failed", str(exc) or type(exc).__name__)
    except KeyboardInterrupt:
        store.end(run_id, "cancelled", "interrupted by a signal or Ctrl-C")
        raise
    except Exception as exc:  # MemoryError included: the run fails, the calling process goes on
        with (store.folder(run_id) / LOG_FILE).open("a", encoding="utf-8") as log:
            traceback.print_exc(file=log)  # first: a run that reads as ended has its whole log
        store.end(run_id, "failed", crash_reason(exc))
    finally:
        watchdog.stop()
    return store.get(run_id)


def crash_reason(exc: Exception) -> str:
    """The one-line reason of a run that raised ``exc``; running out of memory says so and what to try."""
    first = next(iter(str(exc).strip().splitlines()), "")
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or _OOM.search(first):
        return f"out of memory ({MEMORY_HINT}): {first or type(exc).__name__}"
    return f"{type(exc).__name__}: {first}"


def _checkpoint_writer(
    model: Any, config: AdaptConfig, classes: Sequence[str], source_model: Any = None
) -> Callable[[Path], None] | None:
    """Writes the model with its config, the class names of its outputs (the result's ``classes``)
    and what its source model (AdaBN's source statistics), if any, changes."""
    if model is None:
        return None
    from tlcore.checkpoints import save_checkpoint  # noqa: PLC0415 - torch: only when there is a model

    return lambda path: save_checkpoint(path, model, config.to_dict(), classes, source_model)


class _Recorder:
    """The pipeline's callbacks: events into the store (index writes throttled), cancel flag out."""

    def __init__(self, store: RunStore, run_id: str, forward: EventHandler | None) -> None:
        self.store, self.run_id, self.forward = store, run_id, forward
        self.stopped = False
        self._indexed_at = self._checked_at = float("-inf")

    def on_event(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        index = event.kind != "step" or now - self._indexed_at >= INDEX_EVERY
        self.store.record_event(self.run_id, event, index=index)
        if index:
            self._indexed_at = now
        if self.forward is not None:
            self.forward(event)

    def should_stop(self) -> bool:
        now = time.monotonic()
        if not self.stopped and now - self._checked_at >= STOP_CHECK_EVERY:
            self._checked_at = now
            self.stopped = self.store.stop_requested(self.run_id)
        return self.stopped


class _Watchdog(threading.Thread):
    """Beats the heartbeat; kills this process if it ignores a cancel for ``grace`` seconds."""

    def __init__(self, store: RunStore, run_id: str, grace: float) -> None:
        super().__init__(name=f"heartbeat-{run_id}", daemon=True)
        self.store, self.run_id, self.grace = store, run_id, grace
        self._done = threading.Event()

    def run(self) -> None:
        stop_seen: float | None = None
        while not self._done.wait(min(HEARTBEAT_EVERY, self.grace / 2)):
            if not self.store.heartbeat(self.run_id):
                continue
            stop_seen = stop_seen if stop_seen is not None else time.monotonic()
            if time.monotonic() - stop_seen < self.grace or self._done.is_set():
                continue
            if self.store.end(self.run_id, "cancelled", f"did not stop within {self.grace:g} s; killed"):
                if os.getpgrp() == os.getpid():  # a launched worker: take its children along
                    os.killpg(os.getpgrp(), signal.SIGKILL)
                os._exit(1)
            return

    def stop(self) -> None:
        self._done.set()
