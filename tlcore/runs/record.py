"""A run as the index records it, and the pure check of whether its worker still lives.

:func:`stale_reason` only looks (at the record, the process table and the clock); closing a stale
run is the store's write, :meth:`tlcore.runs.store.RunStore.mark_stale`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
EndStatus = Literal["failed", "cancelled", "interrupted"]
STATUSES: tuple[Status, ...] = ("queued", "running", "done", "failed", "cancelled", "interrupted")
ACTIVE: tuple[Status, ...] = ("queued", "running")
STALE_AFTER = 300.0  # seconds without a sign of life after which an active run counts as dead


@dataclass(frozen=True)
class RunRecord:
    """One row of the index, as the app and the CLI see it."""

    id: str
    status: Status
    created: float  # unix time
    updated: float
    method: str  # "dann+im"
    source: str
    target: str
    config: dict[str, Any]  # AdaptConfig.to_dict()
    progress: float  # 0..1
    stage: str
    message: str
    headline: dict[str, Any]  # HEADLINE_KEYS taken from the result once done
    error: str  # one-line reason when failed / cancelled / interrupted
    pid: int | None
    heartbeat: float | None
    cancel_requested: bool
    folder: Path
    sweep_id: str | None = None  # the sweep this run is a trial of (tlcore.runs.sweep_store)
    trial_key: str | None = None  # its trial within that sweep (tlcore.runs.sweep.Trial.key)
    # every method's parameters as the run was built from them (tlcore.method_table.resolve_params);
    # None for a run stored before they were kept
    resolved_params: dict[str, dict[str, Any]] | None = None
    # when its worker process (pid) started (process_started), as its launch or slot claim recorded it;
    # None where it could not be read (no /proc), an older tlstudio recorded the worker, or the run trains
    # in another process's name (a Ray trial, in its sweep driver's)
    worker_started: str | None = None
    # whether that process was launched for this run alone (tlcore.runs.jobs.spawn: a detached worker with
    # nothing else to do once it closed the run), not running it inline; False for an older tlstudio's
    worker_launched: bool = False

    @property
    def active(self) -> bool:
        """Queued or running: the run may still change."""
        return self.status in ACTIVE

    @classmethod
    def from_row(cls, row: Mapping[str, Any], folder: Path) -> RunRecord:
        """The record of an index row (its columns named like the fields, ``resolved_params`` joined
        from ``run_params``; JSON and flag columns decoded), its run folder ``folder``."""
        resolved = row["resolved_params"]
        return cls(
            **dict(row)
            | {
                "config": json.loads(row["config"]),
                "headline": json.loads(row["headline"]),
                "resolved_params": None if resolved is None else json.loads(resolved),
                "cancel_requested": bool(row["cancel_requested"]),
                "worker_launched": bool(row["worker_launched"]),
                "folder": folder,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["folder"] = str(self.folder)
        return data


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux ``/proc``; elsewhere ``kill 0``)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def process_started(pid: int) -> str | None:
    """When process ``pid`` started, as a token that stays the same for that process and differs for a
    later one given the same pid: the boot's id and the start in clock ticks since boot (Linux
    ``/proc``); None where that cannot be read (another system, a process gone)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return f"{boot}/{stat.rpartition(')')[2].split()[19]}"  # field 22, starttime (state is field 3)


def stale_reason(record: RunRecord, now: float) -> str | None:
    """Why the active run ``record`` counts as dead at unix time ``now``, or None while it may live.

    Dead: its worker process is gone (or its pid names another process now: one that started otherwise
    than :attr:`RunRecord.worker_started`), or its last sign of life (heartbeat or update) is older than
    :data:`STALE_AFTER` seconds. A finished run is never stale. Nothing is signalled: a worker closed on
    silence that goes on reads that its run ended and stops itself.
    """
    if not record.active:
        return None
    if record.pid is not None and not pid_alive(record.pid):
        return f"worker process {record.pid} ended without finishing the run (killed or crashed)"
    started = None if record.pid is None or record.worker_started is None else process_started(record.pid)
    if started is not None and started != record.worker_started:
        return (
            f"worker process {record.pid} ended without finishing the run (its pid names another process now)"
        )
    silent = now - max(record.heartbeat or 0.0, record.updated)
    return f"no sign of life from the worker for {silent:.0f} s" if silent > STALE_AFTER else None
