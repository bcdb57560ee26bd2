"""Sweeps in the run index: one row per sweep (its spec, executor settings, driver, status) in the
``sweeps`` table that :class:`~tlcore.runs.store.RunStore` migrates in; its trials are ordinary runs
tagged with the sweep's id and their trial key (``RunStore.create(..., sweep_id=, trial_key=)``).

A sweep is ``queued`` (created, its driver not started or not working on it yet), ``running`` (a
driver process works on it), then
``done`` (every trial ended: done or failed), ``cancelled``, ``failed`` (the driver could not go on,
e.g. the Ray cluster was unreachable) or ``interrupted`` (its driver died). All but ``done`` resume
with ``sweeps resume``; a done sweep resumes to nothing. Like runs, reads never write: a sweep whose
driver is gone is closed as ``interrupted`` by :meth:`SweepStore.mark_stale` (the rule:
:func:`stale_reason`): a launched driver's process is recorded at once (:meth:`SweepStore.assign_pid`),
so a queued sweep whose driver died before claiming it stops counting as live
(:meth:`SweepStore.live`) as soon as it is looked at, and a driver that lives is never taken for gone.
"""

from __future__ import annotations

import builtins
import json
import math
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tlcore.errors import TLError
from tlcore.numbers import plural
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.index import (
    check_count,
    check_limit,
    launched_column,
    new_run_id,
    record_start,
    resolve_id,
    valid_id,
)
from tlcore.runs.record import STALE_AFTER, pid_alive, process_started
from tlcore.runs.store import BUSY_TIMEOUT_S, RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.workspace import Workspace

SweepStatus = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
SWEEP_STATUSES: tuple[SweepStatus, ...] = ("queued", "running", "done", "failed", "cancelled", "interrupted")
SweepEnd = Literal["done", "failed", "cancelled", "interrupted"]
DRIVER_GRACE = BUSY_TIMEOUT_S
"""Seconds a queued sweep without a driver process waits for one: a launch records its driver at once
and an inline driver claims the sweep at once, each a write that may wait that long for the index."""


@dataclass(frozen=True)
class SweepRecord:
    """One row of the ``sweeps`` table."""

    id: str
    status: SweepStatus
    created: float
    updated: float
    spec: SweepSpec
    executor: ExecutorSettings
    message: str  # the driver's last progress line
    error: str  # one-line reason when failed / cancelled / interrupted
    pid: int | None  # the driver process
    heartbeat: float | None
    cancel_requested: bool
    # when that process started (tlcore.runs.record.process_started), as its claim or launch recorded
    # it; None where it could not be read (no /proc) or an older tlstudio recorded the driver
    driver_started: str | None = None
    # whether that process was launched for this sweep alone (tlcore.runs.driver.launch: a detached driver
    # with nothing else to do once it closed the sweep), not driving it inline; False for an older one's
    driver_launched: bool = False

    @property
    def active(self) -> bool:
        """Queued or running: a driver may still work on it."""
        return self.status in ("queued", "running")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(spec=self.spec.to_dict(), executor=self.executor.to_dict())
        return data


CREATED = "%Y-%m-%d %H:%M"  # a sweep's local creation time as it is found, and as the app writes it
FOUND_IN = (  # what a sweep is found by: its id, status, pair, compositions and local creation time
    "id",
    "status",
    "json_extract(spec, '$.source')",
    "json_extract(spec, '$.target')",
    "replace(json_extract(spec, '$.compositions'), '\",\"', '+')",  # [["deep_coral+im"],["dann"]]
    f"strftime('{CREATED}', created, 'unixepoch', 'localtime')",
)


def find_filter(find: str) -> tuple[str, builtins.list[str]]:
    """The ``WHERE`` clause and its parameters keeping the sweeps in which every word of ``find``
    (case-insensitive) is part of the id, the status, the source or target spec, a composition
    (``deep_coral+im``) or the local creation time (``2026-12-05 14:30``); ``""``: every sweep."""
    words = find.split()
    if not words:
        return "", []
    match = "(" + " OR ".join(f"{column} LIKE ? ESCAPE '\\'" for column in FOUND_IN) + ")"
    patterns = ["%" + re.sub(r"([\\%_])", r"\\\1", word) + "%" for word in words]
    return "WHERE " + " AND ".join([match] * len(words)), [p for p in patterns for _ in FOUND_IN]


def stale_reason(record: SweepRecord, now: float) -> str | None:
    """Why the active sweep ``record`` counts as driverless at unix time ``now``, or None while a driver
    may work on it. Driverless: no driver process recorded (queued: created or resumed, its driver
    neither launched nor claiming it) for more than :data:`DRIVER_GRACE` seconds since; its driver
    process (recorded at launch, or by its claim) gone; or its pid naming another process now (one that
    started otherwise than :attr:`SweepRecord.driver_started`). A driver process that lives is never
    taken for gone on silence alone (a long trial, a slow Ray call, a machine asleep): only where its
    start is unknown does a silence of :data:`STALE_AFTER` seconds count, the one sign then that its pid
    may name another process."""
    if not record.active:
        return None
    if record.pid is None:
        waited = now - record.updated
        return f"no driver process took it up in {waited:.0f} s" if waited > DRIVER_GRACE else None
    what = "before starting the sweep" if record.status == "queued" else "without finishing the sweep"
    if not pid_alive(record.pid):
        return f"driver process {record.pid} ended {what} (killed or crashed)"
    if record.driver_started is not None and (started := process_started(record.pid)) is not None:
        if started != record.driver_started:
            return f"driver process {record.pid} ended {what} (its pid names another process now)"
        return None
    silent = now - max(record.heartbeat or 0.0, record.updated)
    return f"no sign of life from the driver for {silent:.0f} s" if silent > STALE_AFTER else None


def listed_line(
    total: int, find: str, offset: int, records: Sequence[SweepRecord], live: Sequence[str]
) -> str:
    """Which sweeps a listing shows (:meth:`SweepStore.live_first`), no full stop: the ``records``
    after the ``offset`` newest of the ``total`` that ``find`` keeps, the ``live`` ones at the top."""
    matching = " matching" if find.strip() else ""
    listed = f"{offset + 1} to {offset + len(records)} listed below"
    on_page = {record.id for record in records}
    outside = sum(i not in on_page for i in live)
    among = f" ({outside} not among them)" if 0 < outside < len(live) else " (not among them)" * bool(outside)
    top = f", {the_live(len(live))} at the top{among}" if live else ""
    return f"{plural(total, 'sweep')}{matching}, newest first: {listed}{top}"


def the_live(n: int) -> str:
    """The ``n`` live sweeps a listing shows at its top, in words."""
    return "the live one" if n == 1 else f"the {n} live ones"


class SweepStore:
    """Create, follow and read sweeps in one workspace; safe across processes like the run store."""

    def __init__(self, workspace: Workspace) -> None:
        self.runs = RunStore(workspace)  # migrates the index
        self.workspace = workspace

    def create(self, spec: SweepSpec, executor: ExecutorSettings) -> str:
        """Register a ``queued`` sweep; its driver claims it with :meth:`claim`."""
        now = time.time()
        with self.runs.connect() as conn:
            while True:
                sweep_id = new_run_id()
                try:
                    conn.execute(
                        "INSERT INTO sweeps (id, created, updated, status, spec, executor)"
                        " VALUES (?, ?, ?, 'queued', ?, ?)",
                        (sweep_id, now, now, json.dumps(spec.to_dict()), json.dumps(executor.to_dict())),
                    )
                except sqlite3.IntegrityError:
                    continue
                return sweep_id

    def resolve(self, text: str) -> str:
        """The id of the sweep ``text`` names: its id or a unique prefix or suffix of it
        (:func:`~tlcore.runs.index.resolve_id`)."""
        with self.runs.connect() as conn:
            return resolve_id(conn, "sweeps", text, "sweep", self.workspace.root)

    def get(self, sweep_id: str) -> SweepRecord:
        """The sweep's record; an unknown id → :class:`TLError`."""
        records = self._select("WHERE id = ?", sweep_id) if valid_id(sweep_id) else []
        if not records:
            raise TLError(f"no sweep {sweep_id} in {self.workspace.root}")
        return records[0]

    def list(self, limit: int = 100, offset: int = 0, find: str = "") -> builtins.list[SweepRecord]:
        """The newest ``limit`` (at least 1) sweeps after the ``offset`` newest, of those ``find`` keeps
        (:func:`find_filter`; empty: all)."""
        check_limit(limit)
        if offset < 0:
            raise TLError(f"the offset must be at least 0, got {offset}")
        check_count("offset", offset)
        where, params = find_filter(find)
        return self._select(
            f"{where} ORDER BY created DESC, id DESC LIMIT ? OFFSET ?", *params, limit, offset
        )

    def count(self, find: str = "") -> int:
        """How many sweeps ``find`` keeps (:func:`find_filter`; empty: all)."""
        where, params = find_filter(find)
        with self.runs.connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM sweeps {where}", params).fetchone()[0]

    def count_past(self, find: str, offset: int, but: Sequence[str] = ()) -> int:
        """How many sweeps ``find`` keeps past the ``offset`` newest, those of ``but`` left out (the live
        ones a listing shows at its top, :meth:`live_first`: not counted again where they come later)."""
        where, params = find_filter(find)
        page = f"SELECT id FROM sweeps {where} ORDER BY created DESC, id DESC LIMIT -1 OFFSET ?"
        left_out = f" WHERE id NOT IN ({', '.join('?' * len(but))})" if but else ""
        with self.runs.connect() as conn:
            query = f"SELECT COUNT(*) FROM ({page}){left_out}"
            return conn.execute(query, [*params, offset, *but]).fetchone()[0]

    def pages(self, size: int, find: str, live: Sequence[str]) -> int:
        """How many pages of ``size`` a listing of the sweeps ``find`` keeps needs (at least one): a last
        page of ``live`` ones alone is left out, the listing shows them at its top already."""
        pages = max(1, math.ceil(self.count(find) / size))
        while pages > 1 and not self.count_past(find, (pages - 1) * size, live):
            pages -= 1
        return pages

    def active(self) -> builtins.list[SweepRecord]:
        """The queued and running sweeps, newest first (a driverless one included: :meth:`mark_stale`)."""
        return self._select("WHERE status IN ('queued', 'running') ORDER BY created DESC, id DESC")

    def live(self) -> builtins.list[SweepRecord]:
        """The queued and running sweeps whose driver may still work on them, newest first: the
        driverless ones are closed (:meth:`mark_stale`) and left out."""
        records = self.active()
        closed = self.mark_stale(records)
        return [record for record in records if record.id not in closed]

    def live_first(self, records: Sequence[SweepRecord], live: Sequence[str]) -> builtins.list[SweepRecord]:
        """The sweeps a listing shows, in its order (the Sweep page's picker, ``sweeps list``): the
        ``live`` ones first (ids, newest first: :meth:`live`), whatever the page or filter: where a
        user looks first, however old; then ``records`` (a page of them, newest first) but those."""
        on_page = {record.id: record for record in records}
        first = [on_page.get(i) or self.get(i) for i in live]
        return [*first, *(record for record in records if record.id not in live)]

    def assign_pid(self, sweep_id: str, pid: int) -> bool:
        """Record the driver process launched for the queued sweep (so its death before it claims the
        sweep is noticed); False when it is no longer queued (claimed already, or cancelled)."""
        assigned = self._update(sweep_id, ("queued",), pid=pid)
        if assigned or self.get(sweep_id).pid == pid:  # or claimed by that driver already
            self._record_start(sweep_id, pid, launched=True)
        return assigned

    def claim(self, sweep_id: str, pid: int) -> SweepRecord:
        """Make process ``pid`` the driver of the queued sweep (``running``); a sweep that is not
        queued (cancelled before its driver started, or driven by another process) → :class:`TLError`."""
        values = {"status": "running", "pid": pid, "heartbeat": time.time(), "message": "starting"}
        if not self._update(sweep_id, ("queued",), **values):
            record = self.get(sweep_id)
            driver = f" (driver process {record.pid})" if record.status == "running" else ""
            raise TLError(f"sweep {sweep_id} is {record.status}{driver}, not waiting for a driver")
        self._record_start(sweep_id, pid)
        return self.get(sweep_id)

    def _record_start(self, sweep_id: str, pid: int, *, launched: bool = False) -> None:
        """Keep when the sweep's driver process ``pid`` started (:attr:`SweepRecord.driver_started`),
        where that can be read; ``launched``: started for this sweep alone
        (:attr:`SweepRecord.driver_launched`)."""
        with self.runs.connect() as conn:
            record_start(conn, "sweep_drivers", sweep_id, pid, launched=launched)

    def reopen(self, sweep_id: str, executor: ExecutorSettings | None = None) -> SweepRecord:
        """An ended sweep back to ``queued`` for a new driver (``sweeps resume``), its executor
        settings replaced when given; refused while it is queued or running."""
        self.mark_stale([self.get(sweep_id)])
        values: dict[str, Any] = {"status": "queued", "pid": None, "cancel_requested": 0, "error": ""}
        if executor is not None:
            values["executor"] = json.dumps(executor.to_dict())
        if not self._update(sweep_id, ("done", "failed", "cancelled", "interrupted"), **values):
            record = self.get(sweep_id)
            raise TLError(f"sweep {sweep_id} is {record.status}; cancel it before resuming it")
        return self.get(sweep_id)

    def heartbeat(self, sweep_id: str, message: str) -> bool:
        """The driver's sign of life and progress line; True when a cancel was requested."""
        self._update(sweep_id, ("running",), heartbeat=time.time(), message=message)
        return self.get(sweep_id).cancel_requested

    def request_cancel(self, sweep_id: str) -> SweepRecord:
        """Ask the sweep's driver to stop; a queued sweep is closed as ``cancelled``; an ended one
        (its driver gone too) is refused, keeping its status and why it ended."""
        record = self.get(sweep_id)
        self.mark_stale([record])
        record = self.get(sweep_id)
        if record.status not in ("queued", "running"):
            why = f" ({record.error})" if record.error and record.status != "done" else ""
            raise TLError(f"sweep {sweep_id} is already {record.status}{why}")
        if record.status == "running":
            if not record.cancel_requested:  # asked again: the first ask's time stays (unanswered)
                self._update(sweep_id, ("running",), cancel_requested=1)
        else:
            self._update(sweep_id, SWEEP_STATUSES, status="cancelled", error="cancelled on request")
        return self.get(sweep_id)

    def end(self, sweep_id: str, status: SweepEnd, reason: str = "", message: str | None = None) -> bool:
        """Close an active sweep (``message``: the driver's last progress line); True if it was active."""
        line = (reason.strip().splitlines() or [""])[0][:500]
        values = {"error": line} | ({} if message is None else {"message": message})
        return self._update(sweep_id, ("queued", "running"), status=status, **values)

    def close_stopped(self, sweep_id: str, pid: int, reason: str) -> bool:
        """Close the sweep as ``cancelled`` for ``reason`` once its driver process ``pid`` was stopped by
        force (:func:`tlcore.runs.driver.stop_driver`): over the close that driver made on its way out
        (SIGTERM) or a look's once it was gone (``interrupted``) too; never a sweep resumed meanwhile
        (its driver another or none yet) nor one that ended done or failed. True if it was closed so."""
        with self.runs.connect() as conn:
            cursor = conn.execute(
                "UPDATE sweeps SET status = 'cancelled', error = ?, updated = ? WHERE id = ? AND pid = ?"
                " AND status IN ('running', 'cancelled', 'interrupted')",
                (reason, time.time(), sweep_id, pid),
            )
        return cursor.rowcount == 1

    def mark_stale(self, records: builtins.list[SweepRecord] | None = None) -> builtins.list[str]:
        """Close the active sweeps whose driver is gone as ``interrupted``; returns their ids."""
        if records is None:
            records = self.active()
        now = time.time()
        reasons = {record.id: stale_reason(record, now) for record in records}
        return [i for i, reason in reasons.items() if reason and self.end(i, "interrupted", reason)]

    def _update(self, sweep_id: str, allowed: tuple[str, ...], **values: Any) -> bool:
        values["updated"] = time.time()
        columns = ", ".join(f"{name} = ?" for name in values)
        marks = ", ".join("?" for _ in allowed)
        with self.runs.connect() as conn:
            cursor = conn.execute(
                f"UPDATE sweeps SET {columns} WHERE id = ? AND status IN ({marks})",
                (*values.values(), sweep_id, *allowed),
            )
        return cursor.rowcount == 1

    def _select(self, clause: str, *params: Any) -> builtins.list[SweepRecord]:
        """The records of ``SELECT * FROM sweeps <clause>``, each with its driver's start where it was
        recorded for the driver the sweep names (a start kept for an earlier driver is none of its)."""
        started = "CASE WHEN sweep_drivers.pid = sweeps.pid THEN sweep_drivers.started END AS driver_started"
        launched = launched_column("sweep_drivers", "sweeps", "driver_launched")
        joined = "sweeps LEFT JOIN sweep_drivers USING (id)"
        query = f"SELECT sweeps.*, {started}, {launched} FROM {joined} {clause}"
        with self.runs.connect() as conn:
            rows = conn.execute(query, params).fetchall()
        return [_record(row) for row in rows]


def _record(row: sqlite3.Row) -> SweepRecord:
    values = dict(row)
    values.update(
        spec=SweepSpec.from_dict(json.loads(row["spec"])),
        executor=ExecutorSettings.from_dict(json.loads(row["executor"])),
        cancel_requested=bool(row["cancel_requested"]),
        driver_launched=bool(row["driver_launched"]),
    )
    return SweepRecord(**values)
