"""The run index's schema: its tables, the migrations that bring an older workspace's index up to
date, and the run ids (``YYYYMMDD-HHMMSS-xxxxxx``, sortable and unique; sweeps use the same form).

One migration per schema version, applied in one ``BEGIN IMMEDIATE`` transaction by the first
process that opens an older index (:func:`migrate`); the others wait for it and see it done. The
switch to WAL mode before it (:func:`use_wal`) retries while another connection makes it.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tlcore.errors import TLError
from tlcore.numbers import first_named
from tlcore.runs.record import STATUSES, Status, process_started

_ID_PATTERN = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
# SQLite's primary result codes for an index that is no database, is corrupt or cannot be opened
_DAMAGED = (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_CANTOPEN)
_PART_PATTERN = re.compile(r"[0-9a-f-]{1,22}")  # a piece of an id
SQL_INT_MAX = 2**63 - 1  # the largest integer SQLite stores or binds
MATCHES_SHOWN = 5  # the ids an ambiguous piece's error lists
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id        TEXT PRIMARY KEY,
    created   REAL NOT NULL,
    updated   REAL NOT NULL,
    status    TEXT NOT NULL,
    method    TEXT NOT NULL,
    source    TEXT NOT NULL,
    target    TEXT NOT NULL,
    config    TEXT NOT NULL,
    progress  REAL NOT NULL DEFAULT 0,
    stage     TEXT NOT NULL DEFAULT '',
    message   TEXT NOT NULL DEFAULT '',
    headline  TEXT NOT NULL DEFAULT '{}',
    error     TEXT NOT NULL DEFAULT '',
    pid       INTEGER,
    heartbeat REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
"""
_SWEEPS = """
ALTER TABLE runs ADD COLUMN sweep_id TEXT;
ALTER TABLE runs ADD COLUMN trial_key TEXT;
CREATE INDEX IF NOT EXISTS runs_by_sweep ON runs (sweep_id);
CREATE TABLE IF NOT EXISTS sweeps (
    id        TEXT PRIMARY KEY,
    created   REAL NOT NULL,
    updated   REAL NOT NULL,
    status    TEXT NOT NULL,
    spec      TEXT NOT NULL,
    executor  TEXT NOT NULL,
    message   TEXT NOT NULL DEFAULT '',
    error     TEXT NOT NULL DEFAULT '',
    pid       INTEGER,
    heartbeat REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
"""
# each run's method parameters as it was built from them (no row: a run stored before they were kept).
# A table of its own, not a column of runs: an older tlstudio builds its RunRecord from SELECT * FROM
# runs, which a new column breaks (it migrates only an index below its own version, so it leaves v3
# as it is; idempotent all the same).
_RESOLVED = """
CREATE TABLE IF NOT EXISTS run_params (
    id       TEXT PRIMARY KEY,
    resolved TEXT NOT NULL
);
"""
# the start of each sweep's driver process as its claim or launch recorded it, with its pid
# (tlcore.runs.record.process_started): a pid alive later names that driver only where the start
# agrees. A table of its own for the same reason as run_params (an older tlstudio reads SELECT * FROM
# sweeps into its SweepRecord).
_DRIVERS = """
CREATE TABLE IF NOT EXISTS sweep_drivers (
    id      TEXT PRIMARY KEY,
    pid     INTEGER NOT NULL,
    started TEXT NOT NULL
);
"""
# the start of each run's worker process (the launched worker, or the process running it inline) as its
# launch or slot claim recorded it, with its pid: what proves that a pid alive later is still that worker
# (tlcore.runs.process_stop). A table of its own, like run_params.
_WORKERS = """
CREATE TABLE IF NOT EXISTS run_workers (
    id      TEXT PRIMARY KEY,
    pid     INTEGER NOT NULL,
    started TEXT NOT NULL
);
"""
# the processes tlstudio launched for one run or one sweep alone (a detached worker, a detached driver:
# tlcore.runs.jobs.spawn, tlcore.runs.driver.launch), by the table of their starts (``kind``:
# run_workers or sweep_drivers), the run's or sweep's id, pid and start: such a process has nothing left
# to do once it closed its record, where one running inline (the CLI, a notebook) may go on with other
# work. A table of its own, like run_params; a run or sweep recorded by an older tlstudio has no row.
_LAUNCHES = """
CREATE TABLE IF NOT EXISTS launches (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    pid     INTEGER NOT NULL,
    started TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
"""
_MIGRATIONS = (_SCHEMA, _SWEEPS, _RESOLVED, _DRIVERS, _WORKERS, _LAUNCHES)
SCHEMA_VERSION = len(_MIGRATIONS)
"""``_MIGRATIONS[v]`` takes an index from schema version ``v`` to ``v + 1`` (v2: sweeps, v3: resolved
method parameters, v4: the sweeps' driver starts, v5: the runs' worker starts, v6: the processes
launched for one run or sweep alone)."""


def record_start(
    conn: sqlite3.Connection, table: str, row_id: str, pid: int, *, launched: bool = False
) -> None:
    """Keep in ``table`` (``run_workers`` or ``sweep_drivers``, a fixed name) when process ``pid``, the
    worker of run ``row_id`` or the driver of that sweep, started
    (:func:`~tlcore.runs.record.process_started`), where that can be read; ``launched``: in ``launches``
    too, the process started for that run or sweep alone."""
    started = process_started(pid)
    if started is not None:
        query = f"INSERT OR REPLACE INTO {table} (id, pid, started) VALUES (?, ?, ?)"
        conn.execute(query, (row_id, pid, started))
        if launched:
            query = "INSERT OR REPLACE INTO launches (kind, id, pid, started) VALUES (?, ?, ?, ?)"
            conn.execute(query, (table, row_id, pid, started))


def launched_column(table: str, owner: str, name: str) -> str:
    """The ``SELECT`` column ``name``: 1 where the process the ``owner`` row (``runs`` or ``sweeps``) names,
    with the start ``table`` (joined) keeps for it, was launched for that row alone
    (:func:`record_start` with ``launched``), else 0."""
    return (
        f"EXISTS (SELECT 1 FROM launches WHERE launches.kind = '{table}' AND launches.id = {owner}.id"
        f" AND launches.pid = {owner}.pid AND launches.started = {table}.started) AS {name}"
    )


def new_run_id() -> str:
    """``YYYYMMDD-HHMMSS-xxxxxx``: UTC creation second plus a random suffix (sortable, unique)."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def check_limit(limit: int) -> None:
    """Refuse a listing ``limit`` below 1 (SQLite reads -1 as no limit and 0 as no rows) or above the
    largest integer SQLite holds (Python's OverflowError otherwise)."""
    if limit < 1:
        raise TLError(f"the limit must be at least 1, got {limit}")
    check_count("limit", limit)


def check_count(name: str, value: int) -> None:
    """Refuse a listing's ``value`` (its limit, its offset) above :data:`SQL_INT_MAX`."""
    if value > SQL_INT_MAX:
        raise TLError(f"the {name} must be at most {SQL_INT_MAX} (SQLite's largest integer), got {value}")


def run_filter(status: Status | None, source: str | None, target: str | None) -> tuple[str, list[str]]:
    """The ``WHERE`` clause and its parameters keeping the runs with this ``status``, ``source`` and
    ``target`` (None: any; specs as given); an unknown status is refused."""
    if status is not None and status not in STATUSES:
        raise TLError(f"unknown status {status!r}; choose from {', '.join(STATUSES)}")
    given = [
        (name, v) for name, v in (("status", status), ("source", source), ("target", target)) if v is not None
    ]
    clause = " AND ".join(f"{name} = ?" for name, _ in given)
    return (f"WHERE {clause}" if given else ""), [v for _, v in given]


def resolve_id(conn: sqlite3.Connection, table: str, text: str, noun: str, where: object) -> str:
    """The id in ``table`` (``runs`` or ``sweeps``) that ``text`` names: the id itself, or a unique
    prefix or suffix of it (the pages show an id's last 6 characters). None: ``no run X in WHERE``;
    several: one line listing them (at most :data:`MATCHES_SHOWN`)."""
    found = []
    if _PART_PATTERN.fullmatch(text):  # id characters only: no LIKE wildcard gets in
        query = f"SELECT id FROM {table} WHERE id LIKE ? OR id LIKE ? ORDER BY id"  # a fixed table name
        found = [row[0] for row in conn.execute(query, (f"{text}%", f"%{text}")).fetchall()]
    if text in found or len(found) == 1:
        return text if text in found else found[0]
    if not found:
        raise TLError(f"no {noun} {text} in {where}")
    raise TLError(
        f"{noun} id {text} is ambiguous: {len(found)} {noun}s' ids begin or end so "
        f"({first_named(found, MATCHES_SHOWN)}); give more of it"
    )


def valid_id(text: str) -> bool:
    """Whether ``text`` has the form of :func:`new_run_id` (sweeps use the same ids)."""
    return bool(_ID_PATTERN.fullmatch(text))


def use_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch the index to write-ahead logging (persistent, set once with the schema). Of several
    connections opening a fresh index at once, one switches; the others' switch fails with
    "database is locked" at once, not after the busy timeout (SQLite gives up rather than wait on a
    lock upgrade), so they retry until the switch is done or ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations the index lacks, in one transaction: a workspace made by an older version
    keeps its runs; of several processes opening it at once, one migrates and the others see it done."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for script in _MIGRATIONS[version:]:
            for statement in filter(str.strip, script.split(";")):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {max(version, SCHEMA_VERSION)}")  # a newer one's stays
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def connect(db: Path, busy_timeout: float) -> Iterator[sqlite3.Connection]:
    """A connection to the index ``db`` in autocommit mode (``BEGIN`` your own multi-statement writes),
    rows by name, waiting up to ``busy_timeout`` seconds for a lock; a damaged index, or one that cannot
    be written to (a read-only file or folder: not damaged, :func:`_check_writable`), is a
    :class:`TLError` saying what to do."""
    try:
        conn = sqlite3.connect(db, timeout=busy_timeout, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            yield conn
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_READONLY:  # the file, or its WAL files
            raise TLError(f"the run index {db} cannot be written to ({exc}); make it writable") from None
        if exc.sqlite_errorcode & 0xFF not in _DAMAGED:  # e.g. still locked after the busy timeout
            raise
        _check_writable(db.parent)
        raise TLError(f"the run index {db} is damaged ({exc}); move it aside to start a fresh one") from exc


def _check_writable(folder: Path) -> None:
    """A one-line :class:`TLError` unless a file can be made in ``folder``: SQLite cannot open an index
    (nor its WAL files) in a folder it may not write to, and that index is not damaged."""
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        why = exc.strerror or exc
        raise TLError(f"cannot open the run index in {folder}: it cannot be written to ({why})") from None
