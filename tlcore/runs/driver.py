"""The sweep driver: hands a sweep's trials to an executor until none is left, then closes the sweep.

:func:`create` stores a checked :class:`~tlcore.runs.sweep.SweepSpec` as a ``queued`` sweep;
:func:`drive` claims it and runs it in this process (the CLI's inline ``sweep``), :func:`launch` in a
background process (``python -m tlcore.runs.driver WORKSPACE SWEEP_ID``: the app, ``--detach``).
Each loop the driver reads the sweep's runs, expands the spec (with the scores so far, for an Optuna
search) and hands over pending trials while fewer than the executor's capacity are active: a trial
becomes a run created in the store, tagged with the sweep and its trial key, then submitted.

What is run again: trials without a run, and ``cancelled`` / ``interrupted`` ones once per driver
session (a trial whose local worker died is retried once more in the same session, like a Ray task's
retry); ``done`` and ``failed`` trials never. So :func:`resume` after a crash, a cancel or a killed
driver finishes a sweep without redoing finished trials; active runs left by an earlier driver whose
worker still lives (local executor) are followed, not duplicated.

Cancel (:func:`cancel`, or Ctrl-C / SIGTERM to the driver, inline or launched:
:func:`~tlcore.interrupts.sigterm_cancels`) stops queued trials from starting and asks the executor to
stop the running ones; the sweep ends ``cancelled``. A driver that never reads the request (hung) is
stopped by force on request (:func:`stop_driver`: ``sweeps cancel --force``, the Sweep page). A sweep
with nothing left to run (a finished one resumed) ends without starting its executor (no Ray cluster).

The driver plans, hands over and reads the stores; it never loads torch or scipy (its workers train),
so keep this module's imports torch-free (tests/sweeps/test_sweep_local.py drives a sweep to check).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from tlcore.commands import command_in
from tlcore.errors import TLError
from tlcore.interrupts import sigterm_cancels
from tlcore.numbers import plural
from tlcore.runs import process_stop
from tlcore.runs.executors import Executor, ExecutorSettings, make_executor
from tlcore.runs.jobs import start_detached
from tlcore.runs.summary import RERUN, SweepSummary, summarise
from tlcore.runs.sweep import SweepSpec, checked
from tlcore.runs.sweep_store import SweepEnd, SweepRecord, SweepStore
from tlcore.workspace import Workspace

POLL = 0.5  # seconds between the driver's looks at the store
LOG_FOLDER = "sweeps"  # <workspace>/sweeps/<id>.log: a launched driver's output

OnProgress = Callable[[SweepSummary], None]


def create(workspace: Workspace, spec: SweepSpec, settings: ExecutorSettings | None = None) -> str:
    """Check ``spec`` against the registry and store it as a ``queued`` sweep; returns its id."""
    return SweepStore(workspace).create(checked(spec), settings or ExecutorSettings())


def summary(workspace: Workspace, sweep_id: str) -> SweepSummary:
    """The sweep's trials and results as they stand (a read: nothing is written)."""
    store = SweepStore(workspace)
    return summarise(store.get(sweep_id), store.runs)


def drive(
    workspace: Workspace,
    sweep_id: str,
    on_progress: OnProgress | None = None,
    *,
    worker: str | None = None,
    executor: Executor | None = None,
    poll: float = POLL,
) -> SweepSummary:
    """Claim the queued sweep and run it in this process until no trial is left; its final summary.

    ``worker`` names the function doing each trial (default the real pipeline); ``executor``
    replaces the one the sweep's settings describe. Ctrl-C (SIGTERM in a launched driver) cancels
    the running trials, closes the sweep ``cancelled`` and is re-raised; an executor that cannot
    start (Ray missing or unreachable) closes it ``failed`` and raises its :class:`TLError`.
    """
    sweeps = SweepStore(workspace)
    record = sweeps.claim(sweep_id, os.getpid())
    executor = executor or make_executor(record.executor, workspace, worker)
    loop = _Loop(sweeps, sweep_id, executor, on_progress or (lambda _: None))
    status: SweepEnd = "failed"
    reason = "the driver stopped unexpectedly"
    started = False
    try:
        if loop.look().finished:  # resumed after it finished: nothing to start a cluster for
            status, reason = "done", ""
        else:
            executor.start()
            started = True
            status, reason = loop.run(poll)
    except KeyboardInterrupt:
        status, reason = "cancelled", "interrupted by a signal or Ctrl-C"
        loop.cancel_active()
        raise
    except TLError as exc:
        status, reason = "failed", str(exc)
        if started:  # an executor that never started touched no trial
            loop.cancel_active()
        raise
    finally:
        executor.shutdown()  # the trials it stopped are closed now: the last line counts them so
        sweeps.end(sweep_id, status, reason, progress_line(summary(workspace, sweep_id)))
    final = summary(workspace, sweep_id)
    loop.on_progress(final)
    return final


class _Loop:
    """One driver session over a claimed sweep."""

    def __init__(self, sweeps: SweepStore, sweep_id: str, executor: Executor, on_progress: OnProgress):
        self.sweeps, self.runs, self.sweep_id = sweeps, sweeps.runs, sweep_id
        self.executor, self.on_progress = executor, on_progress
        self.submitted: Counter[str] = Counter()  # trial key -> runs created for it in this session
        self.cancelling = False

    def look(self) -> SweepSummary:
        self.runs.mark_stale([r for r in self.runs.of_sweep(self.sweep_id) if r.active])
        return summarise(self.sweeps.get(self.sweep_id), self.runs)

    def run(self, poll: float) -> tuple[SweepEnd, str]:
        capacity = self.executor.capacity()
        while True:
            self.executor.poll()
            state = self.look()
            active = [row.run.id for row in state.trials if row.run is not None and row.run.active]
            if self.sweeps.heartbeat(self.sweep_id, progress_line(state)) and not self.cancelling:
                self.cancelling = True
                for run_id in active:
                    self.executor.cancel(run_id)
            self.on_progress(state)
            due = [
                (row.trial.key, config)
                for row in state.trials
                if (config := row.trial.config) is not None and self._due(row.status, row.trial.key)
            ]
            todo = [] if self.cancelling else due
            if not todo and not active:
                return self._ending(state)
            for key, config in todo[: max(0, capacity - len(active))]:
                run_id = self.runs.create(config, sweep_id=self.sweep_id, trial_key=key)
                self.submitted[key] += 1
                self.executor.submit(run_id, config)
            time.sleep(poll)

    def _due(self, status: str, key: str) -> bool:
        """Whether this session (re)runs a trial with ``status`` (see the module docstring)."""
        if status == "pending":
            return True
        limit = 2 if status == "interrupted" else 1
        return status in RERUN and self.submitted[key] < limit

    def _ending(self, state: SweepSummary) -> tuple[SweepEnd, str]:
        if self.cancelling:
            return "cancelled", "cancelled on request"
        if state.finished:
            return "done", ""
        left = sum(row.status in RERUN for row in state.trials)
        again = "runs it again" if left == 1 else "runs them again"
        return "interrupted", f"{plural(left, 'trial')} cancelled or interrupted; `sweeps resume` {again}"

    def cancel_active(self) -> None:
        with contextlib.suppress(TLError):
            for record in self.runs.of_sweep(self.sweep_id):
                if record.active:
                    self.executor.cancel(record.id)


def progress_line(state: SweepSummary) -> str:
    """``"7/24 done, 2 running, 1 failed"``."""
    counts = state.counts
    parts = [f"{counts.get('done', 0)}/{state.planned} done"]
    parts += [f"{counts[s]} {s}" for s in ("running", "queued", "failed") if counts.get(s)]
    return ", ".join(parts)


def launch(workspace: Workspace, sweep_id: str, *, worker: str | None = None) -> None:
    """Drive the queued sweep in a background process (output in ``<workspace>/sweeps/<id>.log``),
    recorded as its driver at once: one that dies before claiming the sweep leaves it not live."""
    store = SweepStore(workspace)
    store.get(sweep_id)
    log = log_path(workspace, sweep_id)
    args = ["tlcore.runs.driver", str(workspace.root), sweep_id]
    try:
        process = start_detached([*args, *(["--worker", worker] if worker else [])], log, workspace.root)
    except OSError as exc:
        store.end(sweep_id, "failed", f"could not start the driver process: {exc.strerror}")
        raise TLError(f"could not start a driver process for sweep {sweep_id}: {exc.strerror}") from exc
    store.assign_pid(sweep_id, process.pid)


def resume(workspace: Workspace, sweep_id: str, settings: ExecutorSettings | None = None) -> SweepRecord:
    """Make an ended sweep ``queued`` again (its executor settings replaced when given), ready for
    :func:`drive` or :func:`launch`; refused while it is queued or running, and while its last driver
    outlives it (:func:`~tlcore.runs.process_stop.driver_still_runs`: two drivers would run its trials)."""
    sweeps = SweepStore(workspace)
    sweeps.mark_stale([sweeps.get(sweep_id)])
    if (pid := process_stop.driver_still_runs(sweeps.get(sweep_id))) is not None:
        cancel = command_in(workspace.root, "sweeps", "cancel", sweep_id, "--force")
        said = f"sweep {sweep_id}'s last driver (process {pid}) still runs: {cancel} ends it, then resume"
        raise TLError(said)
    return sweeps.reopen(sweep_id, settings)


def cancel(workspace: Workspace, sweep_id: str, wait_s: float = 0.0, *, force: bool = False) -> SweepRecord:
    """Stop the sweep: its driver cancels queued and running trials; a sweep without a live driver is
    closed at once and its still-active trial runs are asked to stop. With ``wait_s`` > 0, wait that
    long for the sweep to end; with ``force``, a driver that has not ended by then is stopped
    (:func:`stop_driver`). An ended sweep is refused (a driver that outlives it is
    :func:`stop_outliving_driver`'s, which ``sweeps cancel --force`` tries first). Returns its record."""
    sweeps = SweepStore(workspace)
    record = sweeps.request_cancel(sweep_id)
    if record.status != "running":
        _stop_trials(sweeps, sweep_id)
    deadline = time.monotonic() + wait_s
    while record.active and time.monotonic() < deadline:
        time.sleep(0.2)
        sweeps.mark_stale([record])
        record = sweeps.get(sweep_id)
    return stop_driver(sweeps, record) if force and record.active else record


def stop_driver(sweeps: SweepStore, record: SweepRecord) -> SweepRecord:
    """End the process of the running sweep's driver that did not answer its cancel (hung in a trial or
    a Ray call, or a stopped process), only where its recorded start proves the pid still names it
    (:func:`~tlcore.runs.process_stop.stop`: an unknown start is refused, naming the pid); close the
    sweep ``cancelled`` saying so and ask its still-active trial runs to stop. Returns its record."""
    assert record.pid is not None  # running: its driver's claim recorded the process
    what = f"the driver of sweep {record.id}"
    said = process_stop.stopped_by_force(record.pid, record.driver_started, what, "driver")
    if said is not None:
        sweeps.close_stopped(record.id, record.pid, said)
    sweeps.mark_stale([sweeps.get(record.id)])  # gone by itself meanwhile: closed as such
    _stop_trials(sweeps, record.id)
    return sweeps.get(record.id)


def stop_outliving_driver(workspace: Workspace, sweep_id: str) -> str | None:
    """Where the sweep's driver provably outlives it (:func:`~tlcore.runs.process_stop.still_runs`: a
    driver launched for it alone that closed it and hangs after), end that process
    (:func:`~tlcore.runs.process_stop.stop_outliving`), the sweep left as it is; the one line saying so
    (in its driver's log too). None where there is no such driver: a live sweep (:func:`cancel` with
    ``force`` stops a hung one), its driver gone, or one driving it inline."""
    sweeps = SweepStore(workspace)
    before = sweeps.get(sweep_id)
    sweeps.mark_stale([before])
    record = sweeps.get(sweep_id)
    started, launched, log = record.driver_started, record.driver_launched, log_path(workspace, sweep_id)
    return process_stop.stop_outliving(
        before, record, process_stop.SWEEP, started=started, launched=launched, log=log
    )


def log_path(workspace: Workspace, sweep_id: str) -> Path:
    """``<workspace>/sweeps/<id>.log``: a launched driver's output (and a forced stop's line)."""
    return workspace.subdir(LOG_FOLDER) / f"{sweep_id}.log"


def _stop_trials(sweeps: SweepStore, sweep_id: str) -> None:
    """Ask the sweep's still-active trial runs to stop (their workers read the flag)."""
    for run in sweeps.runs.of_sweep(sweep_id):
        if run.active:
            with contextlib.suppress(TLError):
                sweeps.runs.request_cancel(run.id)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tlcore.runs.driver WORKSPACE SWEEP_ID [--worker M:F]``: exit 0 when the sweep
    ends ``done``, 1 otherwise, 130 when signalled."""
    parser = argparse.ArgumentParser(prog="python -m tlcore.runs.driver")
    parser.add_argument("workspace")
    parser.add_argument("sweep_id")
    parser.add_argument("--worker", default=None, help="MODULE:FUNCTION doing each trial's work")
    args = parser.parse_args(argv)
    workspace = Workspace.resolve(args.workspace)
    try:
        with sigterm_cancels():
            final = drive(workspace, args.sweep_id, worker=args.worker)
    except KeyboardInterrupt:
        return 130
    except TLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0 if final.sweep.status == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
