"""Run slots: at most ``max_running`` runs of a workspace train at once, started in launch order.

There is no scheduler process. Each worker claims its own run with :func:`claim_slot`, one
``BEGIN IMMEDIATE`` transaction on the run index, so two workers never count the same free slot.
Until it gets one, :func:`wait_for_slot` polls, keeping the run ``queued`` with a message such as
``waiting for a free slot (2 running)`` and a fresh heartbeat, so a long wait is not mistaken for a
dead worker. A worker killed while it waits is marked ``interrupted`` by
:meth:`~tlcore.runs.RunStore.mark_stale` and so gives its place in the queue back.

The cap is :attr:`tlcore.limits.Limits.max_running` (``TLSTUDIO_MAX_RUNNING``, default half the
cores). :func:`limit_threads` gives a launched worker its share of the cores before torch loads:
on a shared machine, torch's default of one busy-waiting thread per core in every process made
small operations about 20 times slower. :func:`worker_thread_share` gives ``adapt`` run inline the
same count once torch is loaded: the thread count splits torch's sums, so it moves a run's numbers.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from tlcore.runs import index
from tlcore.runs.store import RunStore

Claim = Literal["started", "waiting", "ended"]
SLOT_POLL = 0.5  # seconds between a waiting worker's claims
THREAD_VARIABLES = ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_WAIT_POLICY")  # what limit_threads sets


def claim_slot(store: RunStore, run_id: str, pid: int, max_running: int, *, own_worker: bool = True) -> Claim:
    """queued → running in process ``pid`` when a slot is free and it is this run's turn.

    Its turn: the running runs plus the runs launched before it that still wait (queued, with a
    worker) number fewer than ``max_running``. Otherwise the run stays queued, says why and records
    a heartbeat (``waiting``). A cancel requested meanwhile closes it as ``cancelled``; a run that
    is no longer queued is ``ended``. ``own_worker``: ``pid`` is the run's worker, its start recorded
    (:attr:`~tlcore.runs.record.RunRecord.worker_started`); False for a Ray trial its sweep driver claims
    and trains in its own name: no start is recorded, so stopping the run never signals the driver.
    """
    store.mark_stale()  # dead workers give their slot, or their place in the queue, back
    with store.connect() as conn:
        conn.execute("BEGIN IMMEDIATE")  # the write lock first: the counts below cannot change
        try:
            state = _claim(conn, run_id, pid, max_running, time.time(), own_worker=own_worker)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return state


def _claim(
    conn: sqlite3.Connection, run_id: str, pid: int, max_running: int, now: float, *, own_worker: bool
) -> Claim:
    row = conn.execute(
        "SELECT status, created, cancel_requested FROM runs WHERE id = ?", (run_id,)
    ).fetchone()
    if row is None or row["status"] != "queued":
        return "ended"
    if row["cancel_requested"]:
        conn.execute(
            "UPDATE runs SET status = 'cancelled', error = 'cancelled before it started', updated = ?"
            " WHERE id = ?",
            (now, run_id),
        )
        return "ended"
    running = conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()[0]
    ahead = conn.execute(
        "SELECT COUNT(*) FROM runs WHERE status = 'queued' AND pid IS NOT NULL"
        " AND (created < ? OR (created = ? AND id < ?))",
        (row["created"], row["created"], run_id),
    ).fetchone()[0]
    started = running + ahead < max_running
    if started:
        status, stage, message = "running", "", ""
    else:
        status, stage = "queued", "queued"
        message = f"waiting for a free slot ({running} running" + (f", {ahead} ahead)" if ahead else ")")
    conn.execute(
        "UPDATE runs SET status = ?, stage = ?, message = ?, pid = ?, heartbeat = ?, updated = ?"
        " WHERE id = ?",
        (status, stage, message, pid, now, now, run_id),
    )
    if own_worker:
        index.record_start(conn, "run_workers", run_id, pid)  # the claimer is the run's worker now
    return "started" if started else "waiting"


def wait_for_slot(store: RunStore, run_id: str, max_running: int, poll: float = SLOT_POLL) -> bool:
    """Claim a slot for the run in this process, polling; False if it ended while it waited."""
    while True:
        state = claim_slot(store, run_id, os.getpid(), max_running)
        if state != "waiting":
            return state == "started"
        time.sleep(poll)


def worker_threads(max_running: int) -> int:
    """Threads for one run when ``max_running`` train at once: an equal share of the cores, >= 1."""
    return max(1, (os.cpu_count() or 1) // max_running)


def run_threads(max_running: int) -> int:
    """The torch threads a launched run uses (:func:`limit_threads`): ``OMP_NUM_THREADS`` when set (a
    worker inherits it), else :func:`worker_threads`."""
    return int(os.environ.get("OMP_NUM_THREADS") or worker_threads(max_running))


def limit_threads(max_running: int) -> None:
    """Call before torch loads: set its thread count (``OMP_NUM_THREADS``) to this run's share and
    ``OMP_WAIT_POLICY=PASSIVE`` (idle threads sleep instead of spinning), unless already set.

    Numba's (UMAP's) too, ``NUMBA_NUM_THREADS``: its OpenMP layer, shared with torch, otherwise sets
    the thread count to every core the first time UMAP runs, and torch follows for the rest of the run.
    """
    threads = str(worker_threads(max_running))
    for name, value in zip(THREAD_VARIABLES, (threads, threads, "PASSIVE"), strict=True):
        os.environ.setdefault(name, value)


@contextmanager
def worker_thread_share(max_running: int, threads: int | None = None) -> Iterator[None]:
    """Within: the thread counts :func:`limit_threads` gives a launched worker, in a process that has
    loaded torch (``adapt`` run inline), so the run computes the worker's numbers; the caller's come
    back afterwards. torch's by ``torch.set_num_threads``, unless ``OMP_NUM_THREADS`` is set (torch
    read it when it loaded; a worker inherits it); Numba's by ``NUMBA_NUM_THREADS``, read when UMAP
    first loads it. ``OMP_WAIT_POLICY`` is read once, when OpenMP starts: idle threads may still spin.
    ``threads``: torch's count whatever ``OMP_NUM_THREADS`` says (a Ray trial's ``cpus_per_trial``, which
    its worker's environment sets: :mod:`tlcore.runs.executors.ray`).
    """
    import torch  # noqa: PLC0415 - loaded already: the caller's process runs torch

    before, environ = torch.get_num_threads(), {name: os.environ.get(name) for name in THREAD_VARIABLES}
    if threads is not None:
        torch.set_num_threads(threads)
    elif "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(worker_threads(max_running))
    limit_threads(max_running)
    try:
        yield
    finally:
        torch.set_num_threads(before)
        for name, value in environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
