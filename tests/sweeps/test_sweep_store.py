"""The run index's schema migration and the sweeps table: states, claims, cancels, dead drivers."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from fake_workers import make_config
from inline_executor import InlineExecutor

from tests.sweeps.stored_sweeps import many_sweeps
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.errors import TLError
from tlcore.runs import driver
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.index import SCHEMA_VERSION
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

V1_SCHEMA = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL, status TEXT NOT NULL,
    method TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, config TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0, stage TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '',
    headline TEXT NOT NULL DEFAULT '{}', error TEXT NOT NULL DEFAULT '', pid INTEGER, heartbeat REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
PRAGMA user_version = 1;
"""


def test_a_workspace_of_schema_1_keeps_its_runs_and_gains_sweeps(workspace: Workspace) -> None:
    config = make_config().to_dict()
    with sqlite3.connect(workspace.index_path) as conn:
        conn.executescript(V1_SCHEMA)
        conn.execute(
            "INSERT INTO runs (id, created, updated, status, method, source, target, config, headline)"
            " VALUES ('20250101-000000-abcdef', 1.0, 2.0, 'done', 'source_only', 'mnist5k', 'digits', ?, ?)",
            (json.dumps(config), json.dumps({"target_accuracy": 0.8})),
        )
    store = RunStore(workspace)
    old = store.get("20250101-000000-abcdef")
    assert old.status == "done" and old.headline == {"target_accuracy": 0.8}
    assert old.sweep_id is None and old.trial_key is None
    with store.connect() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    tagged = store.create(make_config(), sweep_id="20250101-000000-000000", trial_key="source_only|seed=0")
    assert [r.id for r in store.of_sweep("20250101-000000-000000")] == [tagged]
    assert store.get(tagged).trial_key == "source_only|seed=0"
    RunStore(workspace)  # opening it again migrates nothing twice


def test_processes_opening_an_old_workspace_at_once_migrate_it_once(workspace: Workspace) -> None:
    with sqlite3.connect(workspace.index_path) as conn:
        conn.executescript(V1_SCHEMA)
    code = "import sys; from tlcore.runs.store import RunStore; from tlcore.workspace import Workspace\n"
    code += "RunStore(Workspace.resolve(sys.argv[1]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(workspace.root)]) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    assert RunStore(workspace).list() == []


def sweep_spec() -> SweepSpec:
    return SweepSpec("mnist5k", "digits", (("source_only",),), seeds=(0, 1))


def test_a_sweep_is_claimed_by_one_driver_and_reopened_only_once_ended(workspace: Workspace) -> None:
    store = SweepStore(workspace)
    sweep_id = store.create(sweep_spec(), ExecutorSettings("local", max_concurrent=2))
    record = store.get(sweep_id)
    assert record.status == "queued" and record.spec == sweep_spec() and record.executor.max_concurrent == 2
    assert store.claim(sweep_id, os.getpid()).status == "running"
    with pytest.raises(TLError, match=f"is running \\(driver process {os.getpid()}\\)"):
        store.claim(sweep_id, 4343)
    with pytest.raises(TLError, match="cancel it before resuming"):  # its driver lives
        store.reopen(sweep_id)
    store.end(sweep_id, "done")
    reopened = store.reopen(sweep_id, ExecutorSettings("ray", cpus_per_trial=2))
    assert reopened.status == "queued" and reopened.executor.kind == "ray" and reopened.pid is None
    with pytest.raises(TLError, match="no sweep"):
        store.get("20250101-000000-ffffff")
    with pytest.raises(TLError, match="no sweep"):
        store.get("../etc")


def test_cancel_flags_a_live_driver_and_closes_a_driverless_sweep(workspace: Workspace) -> None:
    store = SweepStore(workspace)
    live = store.create(sweep_spec(), ExecutorSettings())
    store.claim(live, 1)  # pid 1 lives
    assert store.request_cancel(live).cancel_requested
    assert store.heartbeat(live, "1/2 done") is True
    queued = store.create(sweep_spec(), ExecutorSettings())
    record = store.request_cancel(queued)
    assert record.status == "cancelled"
    with pytest.raises(TLError, match="cancelled, not waiting"):
        store.claim(queued, 99)  # a driver started after the cancel does nothing
    with pytest.raises(TLError, match=rf"^sweep {queued} is already cancelled \(cancelled on request\)$"):
        store.request_cancel(queued)
    failed = store.create(sweep_spec(), ExecutorSettings())
    store.claim(failed, 1)
    assert store.end(failed, "failed", "epochs must be >= 1")
    with pytest.raises(TLError, match=rf"^sweep {failed} is already failed \(epochs must be >= 1\)$"):
        store.request_cancel(failed)
    assert (store.get(failed).status, store.get(failed).error) == ("failed", "epochs must be >= 1")


def test_a_sweep_whose_driver_died_is_closed_as_interrupted(workspace: Workspace) -> None:
    store = SweepStore(workspace)
    sweep_id = store.create(sweep_spec(), ExecutorSettings())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.claim(sweep_id, dead.pid)
    assert store.get(sweep_id).status == "running"  # reads never write
    assert store.mark_stale() == [sweep_id]
    record = store.get(sweep_id)
    assert record.status == "interrupted" and f"driver process {dead.pid}" in record.error


def test_a_queued_sweep_whose_launched_driver_died_is_not_live(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A launched driver is recorded at once: one that died before claiming its sweep leaves it
    interrupted, for the page (``live``) and ``sweeps list`` alike; one still starting, or a sweep
    just created (no driver yet), stays live."""
    store = SweepStore(workspace)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    starting = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        died, waiting, fresh = (driver.create(workspace, sweep_spec()) for _ in range(3))
        for sweep_id, process in ((died, dead), (waiting, starting)):
            monkeypatch.setattr(driver, "start_detached", lambda *_, process=process: process)
            driver.launch(workspace, sweep_id)
        assert [store.get(i).pid for i in (died, waiting, fresh)] == [dead.pid, starting.pid, None]
        assert [record.id for record in store.live()] == [fresh, waiting]
        record = store.get(died)
        assert record.status == "interrupted"
        assert (
            record.error == f"driver process {dead.pid} ended before starting the sweep (killed or crashed)"
        )

        later = driver.create(workspace, sweep_spec())  # its driver dies too: the CLI says the same
        monkeypatch.setattr(driver, "start_detached", lambda *_: dead)
        driver.launch(workspace, later)
        assert main(["--workspace", str(workspace.root), "sweeps", "list", "--json"]) == 0
        listed = {r["id"]: r["status"] for r in json.loads(capsys.readouterr().out)}
        assert listed == {later: "interrupted", fresh: "queued", waiting: "queued", died: "interrupted"}
    finally:
        starting.kill()
        starting.wait()


class RunsUntilCtrlC(InlineExecutor):
    """A trial that runs until Ctrl-C reaches the driver at its third look; stopping ends it, as
    the Ray executor's shutdown does."""

    looks = 0

    def submit(self, run_id: str, config: AdaptConfig) -> None:
        self.store.start(run_id, os.getpid())

    def poll(self) -> None:
        self.looks += 1
        if self.looks == 3:
            raise KeyboardInterrupt

    def shutdown(self) -> None:
        for record in self.store.list():
            if record.active:
                self.store.end(record.id, "cancelled", "the sweep's driver stopped before it finished")


def test_an_ended_sweep_keeps_its_last_progress_line_not_a_look_before_its_end(workspace: Workspace) -> None:
    """QA helper-159: after Ctrl-C, `sweeps list` said "cancelled, 0/2 done, 1 running" (the last
    look before the driver stopped its trial); a finished sweep resumed said "starting"."""
    sweep_id = driver.create(workspace, sweep_spec())
    with pytest.raises(KeyboardInterrupt):
        driver.drive(workspace, sweep_id, executor=RunsUntilCtrlC(workspace, "sweep_workers:scored"), poll=0)
    record = SweepStore(workspace).get(sweep_id)
    assert (record.status, record.message) == ("cancelled", "0/2 done")
    driver.resume(workspace, sweep_id)
    driver.drive(workspace, sweep_id, executor=InlineExecutor(workspace, "sweep_workers:scored"), poll=0)
    driver.resume(workspace, sweep_id)
    driver.drive(workspace, sweep_id, executor=InlineExecutor(workspace, "sweep_workers:scored"), poll=0)
    record = SweepStore(workspace).get(sweep_id)
    assert (record.status, record.message) == ("done", "2/2 done")  # finished: no trial ran again


def test_every_sweep_is_reachable_page_by_page_newest_first_and_found_by_its_words(
    workspace: Workspace,
) -> None:
    store = SweepStore(workspace)
    ids = many_sweeps(store, 60)
    newest_first = ids[::-1]
    assert store.count() == 60
    assert [r.id for r in store.list(limit=50)] == newest_first[:50]
    assert [r.id for r in store.list(limit=50, offset=50)] == newest_first[50:]  # the 10 oldest
    assert store.list(limit=50, offset=60) == []
    assert (store.count("dann"), store.count("deep_coral+im"), store.count("DEEP_CORAL")) == (30, 30, 30)
    assert [r.id for r in store.list(find="2026-11-01")] == [ids[0]]  # the oldest, by its local date
    assert [r.id for r in store.list(find="2026-12 dann")] == [i for i in newest_first if i in ids[31::2]]
    assert [r.id for r in store.list(find=ids[0][-6:])] == [ids[0]]
    assert store.count("digits queued") == 60 and store.count("usps") == 0
    assert store.count("%") == store.count("deep_coral_im") == 0  # LIKE's wildcards are plain text
    with pytest.raises(TLError, match="the offset must be at least 0"):
        store.list(offset=-1)
