"""The run store: a SQLite index of every adaptation run plus one artifact folder per run.

The index (``<workspace>/runs.sqlite``, WAL mode, busy timeout, one short statement per write, one
connection per call) is safe to use from many processes at once (the app, CLI commands, workers).
Each run also owns ``<workspace>/runs/<id>/`` (its files: :mod:`tlcore.runs.run_files`).

Artifacts are written atomically (:func:`~tlcore.workspace.atomic_write`) before the status flips
to ``done``, so ``done`` implies complete artifacts; ``result.json`` is read by
:func:`tlcore.runs.result_file.read_result` alone. A damaged index is a :class:`~tlcore.errors.TLError`
that names it and says to move it aside. Workers take their run from ``queued`` to ``running``
through :mod:`tlcore.runs.slots`, which caps how many train at once.

Reads never write. A run whose worker died (:func:`~tlcore.runs.record.stale_reason`) is closed as
``interrupted`` by :meth:`RunStore.mark_stale` (:meth:`RunStore.close_if_stale` for one record) where
state changes (a launch, a slot claim, a cancel or delete, each poll of :func:`tlcore.runs.jobs.wait`)
and once per ``runs list`` / ``runs show`` command and app page run.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import math
import shutil
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tlcore.adapt.result import HEADLINE_KEYS
from tlcore.errors import TLError
from tlcore.method_table import resolve_params
from tlcore.runs import index
from tlcore.runs.event_log import read_events
from tlcore.runs.record import ACTIVE, EndStatus, RunRecord, Status, stale_reason
from tlcore.runs.result_file import RESULT_FILE, read_result
from tlcore.runs.run_files import ARTIFACTS, CHECKPOINT_FILE, CONFIG_FILE, HISTORY_FILE, PREDICTIONS_FILE
from tlcore.workspace import atomic_write

if TYPE_CHECKING:
    from tlcore.adapt.config import AdaptConfig
    from tlcore.events import ProgressEvent
    from tlcore.models import Classifier
    from tlcore.workspace import Workspace

BUSY_TIMEOUT_S = 30.0


class RunStore:
    """Create, follow and read runs in one workspace; every method is safe across processes."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._db = workspace.index_path
        with self.connect() as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] < index.SCHEMA_VERSION:
                index.use_wal(conn, BUSY_TIMEOUT_S)
                index.migrate(conn)

    def connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A connection to the index in autocommit mode (:func:`~tlcore.runs.index.connect`)."""
        return index.connect(self._db, BUSY_TIMEOUT_S)

    # ---- reading -------------------------------------------------------------------------------

    def folder(self, run_id: str) -> Path:
        """The artifact folder of ``run_id`` (a checked id, so the path stays in the workspace)."""
        if not index.valid_id(run_id):
            raise TLError(f"no run {run_id} in {self.workspace.root}")
        return self.workspace.inside("runs", run_id)

    def resolve(self, text: str) -> str:
        """The id of the run ``text`` names, whole or a unique prefix or suffix (:func:`index.resolve_id`)."""
        with self.connect() as conn:
            return index.resolve_id(conn, "runs", text, "run", self.workspace.root)

    def get(self, run_id: str) -> RunRecord:
        """The run's current record; unknown id → :class:`TLError`."""
        self.folder(run_id)
        records = self._select("WHERE id = ?", run_id)
        if not records:
            raise TLError(f"no run {run_id} in {self.workspace.root}")
        return records[0]

    def list(
        self,
        status: Status | None = None,
        limit: int = 100,
        source: str | None = None,
        target: str | None = None,
    ) -> builtins.list[RunRecord]:
        """The newest ``limit`` (at least 1) runs, of ``status``, ``source`` and ``target`` when given."""
        index.check_limit(limit)
        where, params = index.run_filter(status, source, target)
        return self._select(f"{where} ORDER BY created DESC, id DESC LIMIT ?", *params, limit)

    def count(
        self, status: Status | None = None, source: str | None = None, target: str | None = None
    ) -> int:
        """How many runs :meth:`list` takes its newest from (the same filters)."""
        where, params = index.run_filter(status, source, target)
        with self.connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM runs {where}", params).fetchone()[0]

    def pairs(self) -> builtins.list[tuple[str, str, int]]:
        """Every pair with runs, ``(source, target, runs)``, the one with the newest run first."""
        query = "SELECT source, target, COUNT(*) FROM runs GROUP BY 1, 2 ORDER BY MAX(created) DESC, 1, 2"
        with self.connect() as conn:
            return [tuple(row) for row in conn.execute(query).fetchall()]

    def done_runs(self, source: str, target: str) -> builtins.list[RunRecord]:
        """Every ``done`` run of the pair ``source -> target`` (specs as given), newest first."""
        clause = "WHERE status = 'done' AND source = ? AND target = ? ORDER BY created DESC, id DESC"
        return self._select(clause, source, target)

    def of_sweep(self, sweep_id: str) -> builtins.list[RunRecord]:
        """Every run of the sweep ``sweep_id``, oldest first."""
        return self._select("WHERE sweep_id = ? ORDER BY created, id", sweep_id)

    def history(self, run_id: str, kinds: Collection[str] | None = None) -> builtins.list[dict[str, Any]]:
        """The run's progress events so far (optionally only some kinds: ``{"epoch"}``), read from its
        folder alone (no index query); an id without a folder → :class:`TLError`."""
        return self.history_since(run_id, 0, kinds)[0]

    def history_since(
        self, run_id: str, offset: int = 0, kinds: Collection[str] | None = None
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        """The events of :meth:`history` from byte ``offset`` of the log on and the offset to pass back
        to read only newer ones (:func:`tlcore.runs.event_log.read_events`): a live chart's refresh."""
        folder = self.folder(run_id)
        try:
            return read_events(folder / HISTORY_FILE, offset, kinds)
        except FileNotFoundError:
            if not folder.is_dir():
                raise TLError(f"no run {run_id} in {self.workspace.root}") from None
            return [], offset

    def result(self, run_id: str) -> dict[str, Any]:
        """The result of a ``done`` run; any other status → :class:`TLError`."""
        return self.result_of(self.get(run_id))

    @staticmethod
    def result_of(record: RunRecord) -> dict[str, Any]:
        """The result of a run whose record is already in hand (no query); not done → :class:`TLError`,
        a damaged result file → :class:`~tlcore.runs.result_file.UnreadableResultError`."""
        if record.status != "done":
            raise TLError(f"run {record.id} has no result: it is {record.status}")
        return read_result(record.folder)

    def checkpoint_path(self, run_id: str) -> Path | None:
        """The checkpoint of a ``done`` run, or None (not done, or the run saved no model)."""
        record = self.get(run_id)
        path = record.folder / CHECKPOINT_FILE
        return path if record.status == "done" and path.is_file() else None

    def load_model(self, run_id: str) -> Classifier:
        """The model a ``done`` run saved (``weights_only`` load) with its class names in ``classes``
        (from the checkpoint; for checkpoints written before they were recorded, from the run's
        result); a TLError when there is none or it does not fit the network this version builds."""
        # Imported here: a worker imports this module before it sets its torch threads (tlcore.slots).
        from tlcore.checkpoints import load_checkpoint  # noqa: PLC0415

        record = self.get(run_id)
        if record.status != "done":
            raise TLError(f"run {run_id} is {record.status}: only a done run has a model")
        path = self.checkpoint_path(run_id)
        if path is None:
            raise TLError(f"run {run_id} saved no model")
        model = load_checkpoint(path, f"run {run_id}'s checkpoint")[0]
        if not model.classes:
            result = self.result(run_id)
            names = result.get("classes") or (result.get("umap_after") or {}).get("classes") or ()
            model.classes = tuple(str(name) for name in names)
        if len(model.classes) != model.n_classes:
            raise TLError(f"run {run_id}: its model has {model.n_classes} outputs but names no such classes")
        return model

    # ---- creating and controlling ----------------------------------------------------------------

    def create(
        self, config: AdaptConfig, *, sweep_id: str | None = None, trial_key: str | None = None
    ) -> str:
        """Register a new ``queued`` run for ``config``, with its folder and config.json (a sweep's
        trial is tagged with the sweep's id and its trial key) and, in the index's ``run_params`` (the
        same transaction), every method's parameters as the run builds them
        (:func:`~tlcore.method_table.resolve_params`)."""
        data = config.to_dict()
        resolved = json.dumps(resolve_params(config.methods, config.params))
        while True:
            run_id = index.new_run_id()
            folder = self.folder(run_id)
            try:
                folder.mkdir(parents=True)
            except FileExistsError:
                continue
            except OSError as exc:  # e.g. <workspace>/runs is a file
                raise TLError(f"cannot make the run folder {folder} ({exc.strerror})") from exc
            break
        text = json.dumps(data, indent=2)
        atomic_write(folder / CONFIG_FILE, lambda p: p.write_text(text, encoding="utf-8"))
        now = time.time()
        row = (run_id, now, now, config.method_label, config.source, config.target, json.dumps(data))
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO runs (id, created, updated, status, method, source, target, config, sweep_id,"
                " trial_key) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                (*row, sweep_id, trial_key),
            )
            conn.execute("INSERT INTO run_params (id, resolved) VALUES (?, ?)", (run_id, resolved))
            conn.execute("COMMIT")
        return run_id

    def request_cancel(self, run_id: str) -> RunRecord:
        """Ask an active run to stop (its worker checks the flag at every step); a run whose worker
        is gone is closed as ``interrupted`` instead, and refused saying this look closed it (not "already
        interrupted", which read as someone else's earlier close)."""
        before = self.get(run_id)
        record = self.close_if_stale(before)
        if not record.active:
            if before.active:
                raise TLError(
                    f"run {run_id} is closed as interrupted now ({record.error}): nothing left to cancel"
                )
            raise TLError(f"run {run_id} is already {record.status}")
        if not record.cancel_requested:  # asked again: the first ask's time stays (process_stop.unanswered)
            self._update(run_id, ACTIVE, cancel_requested=1)
        if record.pid is None:  # no worker picked it up yet: nothing to wait for
            self.end(run_id, "cancelled", "cancelled before it started")
        return self.get(run_id)

    def delete(self, run_id: str) -> RunRecord:
        """Remove a finished run (or one whose worker is gone) from the index and its folder; returns
        its last record."""
        record = self.close_if_stale(self.get(run_id))
        if record.active:
            raise TLError(f"run {run_id} is {record.status}; cancel it before deleting it")
        with self.connect() as conn:
            conn.execute("DELETE FROM runs WHERE id = ? AND status NOT IN ('queued', 'running')", (run_id,))
            for table in ("run_params", "run_workers"):  # fixed names
                conn.execute(f"DELETE FROM {table} WHERE id NOT IN (SELECT id FROM runs)")
            gone = "kind = 'run_workers' AND id NOT IN (SELECT id FROM runs)"
            conn.execute(f"DELETE FROM launches WHERE {gone}")
        shutil.rmtree(record.folder, ignore_errors=True)
        return record

    def mark_stale(self, records: Iterable[RunRecord] | None = None) -> builtins.list[str]:
        """Close the active runs whose worker is gone (:func:`~tlcore.runs.record.stale_reason`) as
        ``interrupted``; returns the ids it closed. ``records`` already in hand are checked as they are
        (a write only for a stale one); without them the active runs are read once."""
        if records is None:
            records = self._select("WHERE status IN ('queued', 'running')")
        now = time.time()
        reasons = {record.id: stale_reason(record, now) for record in records}
        return [i for i, reason in reasons.items() if reason and self.end(i, "interrupted", reason)]

    def live(self) -> builtins.list[RunRecord]:
        """The queued and running runs whose worker may still work on them, newest first: the ones whose
        worker is gone are closed (:meth:`mark_stale`) and left out."""
        records = self._select("WHERE status IN ('queued', 'running') ORDER BY created DESC, id DESC")
        closed = self.mark_stale(records)
        return [record for record in records if record.id not in closed]

    def close_if_stale(self, record: RunRecord) -> RunRecord:
        """``record`` as read, or, when its worker is gone, the record after closing it (a write)."""
        return self.get(record.id) if self.mark_stale([record]) else record

    # ---- the worker's side -------------------------------------------------------------------------

    def assign_pid(self, run_id: str, pid: int) -> bool:
        """Record the process launched for a queued run alone (so its death is noticed) and when it started
        (:attr:`~tlcore.runs.record.RunRecord.worker_started`: what proves the pid still names it;
        :attr:`~tlcore.runs.record.RunRecord.worker_launched`)."""
        with self.connect() as conn:
            index.record_start(conn, "run_workers", run_id, pid, launched=True)
        return self._update(run_id, ("queued",), pid=pid)

    def start(self, run_id: str, pid: int) -> bool:
        """queued → running in process ``pid``; False if the run was cancelled meanwhile."""
        return self._update(run_id, ("queued",), status="running", pid=pid, heartbeat=time.time())

    def record_event(self, run_id: str, event: ProgressEvent, index: bool = True) -> None:
        """Append ``event`` to history.jsonl and, if ``index``, show it as the run's progress."""
        line = json.dumps(event.to_dict()) + "\n"
        with (self.folder(run_id) / HISTORY_FILE).open("a", encoding="utf-8") as handle:
            handle.write(line)
        if index:
            self._update(
                run_id,
                ("running",),
                progress=min(max(event.fraction, 0.0), 1.0) if math.isfinite(event.fraction) else 0.0,
                stage=event.stage,
                message=event.message,
                heartbeat=time.time(),
            )

    def heartbeat(self, run_id: str) -> bool:
        """Record that the worker is alive; True when the run should stop."""
        self._update(run_id, ("running",), heartbeat=time.time())
        return self.stop_requested(run_id)

    def stop_requested(self, run_id: str) -> bool:
        """True when a cancel was requested or the run is no longer running."""
        with self.connect() as conn:
            row = conn.execute("SELECT status, cancel_requested FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row is None or row["status"] != "running" or bool(row["cancel_requested"])

    def finish(
        self,
        run_id: str,
        result: dict[str, Any],
        write_checkpoint: Callable[[Path], None] | None = None,
        write_predictions: Callable[[Path], None] | None = None,
    ) -> bool:
        """Write the checkpoint, the predictions and result.json atomically, then flip running → done.

        Returns False (and removes the artifacts again) when the run stopped being ``running``
        meanwhile, e.g. it was cancelled: only ``done`` runs carry a result.
        """
        folder = self.folder(run_id)
        text = json.dumps(result)
        for name, write in ((CHECKPOINT_FILE, write_checkpoint), (PREDICTIONS_FILE, write_predictions)):
            if write is not None:
                atomic_write(folder / name, write)
        atomic_write(folder / RESULT_FILE, lambda p: p.write_text(text, encoding="utf-8"))
        headline = {key: result[key] for key in HEADLINE_KEYS if key in result}
        if self._update(
            run_id, ("running",), status="done", progress=1.0, stage="done", headline=json.dumps(headline)
        ):
            return True
        for name in ARTIFACTS:
            (folder / name).unlink(missing_ok=True)
        return False

    def adopt(self, run_id: str, files: Mapping[str, bytes]) -> bool:
        """Like :meth:`finish` for artifacts made elsewhere (a Ray worker): write ``files`` (name →
        content, ``result.json`` among them) into the run's folder atomically, then running → done.

        Returns False (and removes them again) when the run stopped being ``running`` meanwhile.
        """
        folder = self.folder(run_id)
        names = [name for name in files if name != RESULT_FILE] + [RESULT_FILE]  # the result last
        if any(Path(name).name != name or name.startswith(".") for name in names):
            raise TLError(f"run {run_id}: refusing artifact names {sorted(files)}")
        result = json.loads(files[RESULT_FILE])
        for name in names:
            atomic_write(folder / name, partial(Path.write_bytes, data=files[name]))
        headline = {key: result[key] for key in HEADLINE_KEYS if key in result}
        if self._update(
            run_id, ("running",), status="done", progress=1.0, stage="done", headline=json.dumps(headline)
        ):
            return True
        for name in names:
            (folder / name).unlink(missing_ok=True)
        return False

    def end(self, run_id: str, status: EndStatus, reason: str, over: tuple[Status, ...] = ACTIVE) -> bool:
        """Close an active run as failed / cancelled / interrupted with a one-line reason (``over``: also
        one ended so meanwhile, its reason replaced: a worker stopped by force closes it on its way out)."""
        line = (reason.strip().splitlines() or [status])[0][:500]
        if not self._update(run_id, over, status=status, error=line):
            return False
        folder = self.folder(run_id)
        # Only done runs carry artifacts; temp files are writes cut short by the ending.
        for leftover in [*folder.glob(".*.tmp"), *(folder / name for name in ARTIFACTS)]:
            leftover.unlink(missing_ok=True)
        return True

    # ---- internals -------------------------------------------------------------------------------

    def _update(self, run_id: str, allowed: tuple[Status, ...], **values: Any) -> bool:
        """One UPDATE of ``values`` if the run's status is in ``allowed``; True if it applied."""
        values["updated"] = time.time()
        columns = ", ".join(f"{name} = ?" for name in values)
        marks = ", ".join("?" for _ in allowed)
        with self.connect() as conn:
            cursor = conn.execute(
                f"UPDATE runs SET {columns} WHERE id = ? AND status IN ({marks})",
                (*values.values(), run_id, *allowed),
            )
        return cursor.rowcount == 1

    def _select(self, clause: str, *params: Any) -> builtins.list[RunRecord]:
        """The records of ``SELECT * FROM runs <clause>`` with their ``run_params``, their worker's start
        where it was recorded for the pid the run names and whether that worker was launched for the run
        alone: one connection, no write."""
        joined = "runs LEFT JOIN run_params USING (id) LEFT JOIN run_workers USING (id)"
        started = "CASE WHEN run_workers.pid = runs.pid THEN run_workers.started END AS worker_started"
        launched = index.launched_column("run_workers", "runs", "worker_launched")
        columns = f"runs.*, run_params.resolved AS resolved_params, {started}, {launched}"
        query = f"SELECT {columns} FROM {joined} {clause}"
        with self.connect() as conn:
            rows = conn.execute(query, params).fetchall()
        return [RunRecord.from_row(row, self.workspace.inside("runs", row["id"])) for row in rows]
