"""Many writers at once, threads and processes, on one fresh index: no lock errors, nothing lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
from fake_workers import make_config

from tlcore.events import ProgressEvent
from tlcore.runs.index import use_wal
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]

# One writer: opens the store itself (so schema creation races too), then takes runs through their
# whole life, one short write at a time.
WRITER = textwrap.dedent(
    """
    import os, sys
    from fake_workers import make_config
    from tlcore.events import ProgressEvent
    from tlcore.runs.store import RunStore
    from tlcore.workspace import Workspace

    store = RunStore(Workspace.resolve(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        run_id = store.create(make_config(seed=i))
        assert store.start(run_id, os.getpid())
        for step in range(3):
            store.record_event(run_id, ProgressEvent("step", "train", (step + 1) / 3, step=step))
        store.list(limit=5)
        assert store.finish(run_id, {"target_accuracy": i / 100})
    """
)


def _life(store: RunStore, seed: int) -> str:
    run_id = store.create(make_config(seed=seed))
    store.start(run_id, os.getpid())
    for step in range(3):
        store.record_event(run_id, ProgressEvent("step", "train", (step + 1) / 3, step=step))
    store.get(run_id)
    store.finish(run_id, {"target_accuracy": seed / 100})
    return run_id


def test_threads_share_one_index(workspace: Workspace) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda seed: _life(RunStore(workspace), seed), range(40)))
    records = RunStore(workspace).list(limit=100)
    assert len(set(ids)) == 40 and {r.id for r in records} == set(ids)
    assert all(r.status == "done" and len(RunStore(workspace).history(r.id)) == 3 for r in records)


def test_eight_threads_opening_a_fresh_index_all_get_it(tmp_path: Path) -> None:
    """The switch to WAL mode races on a fresh index: SQLite fails the losers at once with "database is
    locked" (about one fresh index in 40 here before they retried), so 50 of them, 8 openers each."""
    for i in range(50):
        workspace = Workspace.resolve(tmp_path / str(i))
        with ThreadPoolExecutor(max_workers=8) as pool:
            stores = list(pool.map(RunStore, [workspace] * 8))
        assert len(stores) == 8
        with closing(sqlite3.connect(workspace.index_path)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


class _Locked:
    """A connection whose first ``fails`` statements raise ``error``."""

    def __init__(self, fails: int, error: str) -> None:
        self.fails, self.error, self.calls = fails, error, 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.calls <= self.fails:
            raise sqlite3.OperationalError(self.error)


def test_use_wal_retries_a_locked_switch_and_raises_anything_else() -> None:
    locked = _Locked(3, "database is locked")
    use_wal(locked, timeout_s=5.0)  # type: ignore[arg-type]
    assert locked.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        use_wal(_Locked(1, "disk I/O error"), timeout_s=5.0)  # type: ignore[arg-type]
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(_Locked(10**6, "database is locked"), timeout_s=0.05)  # type: ignore[arg-type]


def test_processes_write_at_once_without_lock_errors(workspace: Workspace) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ["PYTHONPATH"]])}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(workspace.root), "15"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "locked" not in err
    records = RunStore(workspace).list(limit=1000)
    assert len(records) == 60 and len({r.id for r in records}) == 60
    assert all(r.status == "done" and r.progress == 1.0 for r in records)
    assert sorted(r.config["seed"] for r in records) == sorted(list(range(15)) * 4)
    with closing(sqlite3.connect(workspace.index_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
