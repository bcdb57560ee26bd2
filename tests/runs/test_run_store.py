"""The run store on its own: round trip, status transitions, atomic artifacts, stale runs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_workers import make_config

from tlcore.errors import TLError
from tlcore.events import ProgressEvent
from tlcore.runs import record as record_module
from tlcore.runs import store as store_module
from tlcore.runs.record import stale_reason
from tlcore.runs.result_file import RESULT_FILE
from tlcore.runs.run_files import CHECKPOINT_FILE, CONFIG_FILE, HISTORY_FILE, PREDICTIONS_FILE
from tlcore.runs.store import RunStore

PID = os.getpid()  # a live process for runs that must not look dead
RESULT = {
    "target_accuracy": 0.91,
    "source_only_accuracy": 0.75,
    "gap_before": {"mmd2": 0.2},
    "umap": [[0, 1]],
}


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_create_get_round_trip(store: RunStore) -> None:
    config = make_config(steps=3, methods=("deep_coral", "im"), seed=7)
    run_id = store.create(config)
    record = store.get(run_id)
    assert record.id == run_id and record.status == "queued" and record.active
    assert (record.method, record.source, record.target) == ("deep_coral+im", "mnist5k", "digits")
    assert record.config == config.to_dict()
    assert json.loads((record.folder / CONFIG_FILE).read_text()) == config.to_dict()
    assert record.folder == store.workspace.root / "runs" / run_id
    assert [r.id for r in store.list()] == [run_id]
    assert json.loads(json.dumps(record.to_dict()))["id"] == run_id


def test_ids_are_unique_and_sortable(store: RunStore) -> None:
    ids = [store.create(make_config()) for _ in range(20)]
    assert len(set(ids)) == 20
    assert ids[0][:15] <= ids[-1][:15]  # the creation second leads the id
    assert [r.id for r in store.list(limit=5)] == ids[::-1][:5]  # newest first


def test_lifecycle_to_done(store: RunStore) -> None:
    run_id = store.create(make_config())
    assert store.start(run_id, pid=PID)
    store.record_event(run_id, ProgressEvent("step", "train", 0.4, step=3, message="epoch 1"))
    store.record_event(
        run_id, ProgressEvent("epoch", "train", 0.5, epoch=1, metrics={"loss": 0.3}), index=False
    )
    running = store.get(run_id)
    assert (running.status, running.progress, running.message) == ("running", 0.4, "epoch 1")
    assert [e["kind"] for e in store.history(run_id)] == ["step", "epoch"]
    assert store.history(run_id, kinds={"epoch"})[0]["metrics"] == {"loss": 0.3}
    with pytest.raises(TLError, match="has no result: it is running"):
        store.result(run_id)
    assert store.checkpoint_path(run_id) is None

    assert store.finish(
        run_id,
        RESULT,
        write_checkpoint=lambda path: path.write_bytes(b"weights"),
        write_predictions=lambda path: path.write_bytes(b"probabilities"),
    )
    done = store.get(run_id)
    assert (done.status, done.progress, done.active) == ("done", 1.0, False)
    assert done.headline == {
        "target_accuracy": 0.91,
        "source_only_accuracy": 0.75,
        "gap_before": {"mmd2": 0.2},
    }
    assert store.result(run_id) == RESULT
    assert store.checkpoint_path(run_id).read_bytes() == b"weights"
    assert (done.folder / PREDICTIONS_FILE).read_bytes() == b"probabilities"
    assert [r.id for r in store.done_runs("mnist5k", "digits")] == [run_id]
    assert store.done_runs("mnist5k", "fashion") == []
    assert not list(done.folder.glob(".*"))  # no temp files left behind


def test_unknown_and_malformed_ids(store: RunStore) -> None:
    for bad in ("20240101-000000-abcdef", "../../etc", "x"):
        with pytest.raises(TLError, match=f"no run {bad} in "):
            store.get(bad)
        with pytest.raises(TLError, match=f"no run {bad} in "):
            store.history(bad)
    with pytest.raises(TLError, match="unknown status"):
        store.list(status="exploded")  # type: ignore[arg-type]


def _write_w(path: Path) -> None:
    path.write_bytes(b"w")


def test_transitions_are_guarded(store: RunStore) -> None:
    run_id = store.create(make_config())
    assert store.start(run_id, pid=PID)
    assert not store.start(run_id, pid=1)  # already running
    assert store.end(run_id, "cancelled", "cancelled on request\nsecond line dropped")
    assert store.get(run_id).error == "cancelled on request"
    assert not store.end(run_id, "failed", "too late")  # terminal states stay
    # A result arriving after the run was closed is refused and leaves no artifacts behind.
    assert not store.finish(run_id, RESULT, write_checkpoint=_write_w, write_predictions=_write_w)
    record = store.get(run_id)
    assert record.status == "cancelled"
    assert not [
        name for name in (RESULT_FILE, CHECKPOINT_FILE, PREDICTIONS_FILE) if (record.folder / name).exists()
    ]
    with pytest.raises(TLError, match="already cancelled"):
        store.request_cancel(run_id)


def test_cancel_before_a_worker_picks_it_up(store: RunStore) -> None:
    run_id = store.create(make_config())
    record = store.request_cancel(run_id)
    assert (record.status, record.error) == ("cancelled", "cancelled before it started")
    assert not store.start(run_id, pid=1)


def test_cancel_flag_reaches_the_worker(store: RunStore) -> None:
    run_id = store.create(make_config())
    store.start(run_id, pid=PID)
    assert not store.stop_requested(run_id) and not store.heartbeat(run_id)
    assert store.request_cancel(run_id).cancel_requested
    assert store.stop_requested(run_id) and store.heartbeat(run_id)


def test_interrupted_write_leaves_no_result(store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash between writing the temp file and renaming it: nothing visible, run not done."""
    run_id = store.create(make_config())
    store.start(run_id, pid=PID)

    def crash(self: Path, target: Path) -> None:
        raise OSError("disk pulled out")

    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(OSError, match="disk pulled out"):
        store.finish(run_id, RESULT)
    monkeypatch.undo()
    folder = store.folder(run_id)
    assert not (folder / RESULT_FILE).exists()
    assert store.get(run_id).status == "running"
    # A killed process cannot clean up its temp file; closing the run sweeps it.
    (folder / ".result.json.dead.tmp").write_text('{"half": ')
    assert store.end(run_id, "interrupted", "killed")
    assert not list(folder.glob(".*.tmp"))


def test_reads_leave_a_dead_workers_run_alone_until_mark_stale(store: RunStore) -> None:
    run_id = store.create(make_config())
    store.start(run_id, pid=_dead_pid())
    store.record_event(run_id, ProgressEvent("epoch", "train", 0.5, epoch=1))
    record = store.get(run_id)
    assert [r.status for r in store.list()] == ["running"] and record.status == "running"
    assert stale_reason(record, time.time()).startswith(f"worker process {record.pid} ended without")
    assert [e["epoch"] for e in store.history(run_id)] == [1]
    assert store.checkpoint_path(run_id) is None
    with pytest.raises(TLError, match="it is running"):
        store.result(run_id)
    assert store.get(run_id) == record  # nothing was written: not even the updated time

    assert store.mark_stale() == [run_id]
    closed = store.get(run_id)
    assert closed.status == "interrupted" and "ended without finishing" in closed.error
    assert store.mark_stale() == [] and store.get(run_id) == closed


def test_mark_stale_with_records_in_hand_reads_nothing(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, dead = store.create(make_config()), store.create(make_config())
    store.start(live, pid=PID)
    store.start(dead, pid=_dead_pid())
    records = store.list()
    connections: list[object] = []
    connect = sqlite3.connect
    monkeypatch.setattr(
        store_module.sqlite3, "connect", lambda *a, **k: connections.append(a) or connect(*a, **k)
    )
    assert store.mark_stale([r for r in records if r.id == live]) == [] and connections == []
    assert store.mark_stale(records) == [dead] and len(connections) == 1  # the one UPDATE
    assert store.close_if_stale(records[0] if records[0].id == live else records[1]).status == "running"
    assert store.mark_stale(records) == [] and len(connections) == 2  # the UPDATE finds it closed


def test_silent_worker_is_marked_interrupted(store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    live = store.create(make_config())
    store.start(live, pid=PID)
    orphan = store.create(make_config())  # queued, no process ever assigned
    assert stale_reason(store.get(orphan), time.time()) is None
    monkeypatch.setattr(record_module, "STALE_AFTER", -1.0)  # every heartbeat is now too old
    assert stale_reason(store.get(orphan), time.time()).startswith("no sign of life")
    assert store.get(orphan).status == "queued"
    assert sorted(store.mark_stale()) == sorted([live, orphan])
    assert "no sign of life" in store.get(orphan).error
    assert stale_reason(store.get(orphan), time.time()) is None  # a closed run is never stale


def test_history_skips_a_cut_off_last_line(store: RunStore) -> None:
    run_id = store.create(make_config())
    store.start(run_id, pid=PID)
    store.record_event(run_id, ProgressEvent("epoch", "train", 0.5, epoch=1))
    with (store.folder(run_id) / HISTORY_FILE).open("a") as handle:
        handle.write('{"kind": "step", "sta')
    assert [e["epoch"] for e in store.history(run_id)] == [1]


def test_history_since_reads_on_from_its_offset_and_waits_for_a_whole_line(store: RunStore) -> None:
    """The Adapt page's live curves read only what a run wrote since their last refresh."""
    run_id = store.create(make_config())
    assert store.history_since(run_id) == ([], 0)  # queued: no log yet
    store.start(run_id, pid=PID)
    store.record_event(run_id, ProgressEvent("epoch", "train", 0.5, epoch=1))
    store.record_event(run_id, ProgressEvent("step", "train", 0.6, epoch=2, step=3))
    events, offset = store.history_since(run_id, kinds={"epoch"})
    log = store.folder(run_id) / HISTORY_FILE
    assert [e["epoch"] for e in events] == [1] and offset == log.stat().st_size
    assert store.history_since(run_id, offset) == ([], offset)
    line = json.dumps(ProgressEvent("epoch", "train", 1.0, epoch=2).to_dict())
    with log.open("a") as handle:
        handle.write(line[:20])  # the worker is half-way through a line
        handle.flush()
        assert store.history_since(run_id, offset) == ([], offset)
        handle.write(line[20:] + "\n")
    events, end = store.history_since(run_id, offset)
    assert [e["epoch"] for e in events] == [2] and end == offset + len(line) + 1
    assert [e["epoch"] for e in store.history(run_id)] == [1, 2, 2]
    with pytest.raises(TLError, match="no run"):
        store.history_since("20990101-000000-abcdef")


def test_list_filters_and_delete(store: RunStore) -> None:
    done = store.create(make_config())
    store.start(done, pid=PID)
    store.finish(done, RESULT)
    queued = store.create(make_config())
    assert [r.id for r in store.list(status="done")] == [done]
    assert [r.id for r in store.list(status="queued")] == [queued]
    with pytest.raises(TLError, match="cancel it before deleting"):
        store.delete(queued)
    folder = store.folder(done)
    store.delete(done)
    assert not folder.exists()
    with pytest.raises(TLError, match="no run"):
        store.get(done)


def test_pairs_counts_each_pairs_runs_the_newest_pair_first(store: RunStore) -> None:
    assert store.pairs() == []
    for target in ("digits", "digits:n=100", "digits", "digits:n=100", "digits:n=100"):
        store.create(make_config(target=target))
    assert store.pairs() == [("mnist5k", "digits:n=100", 3), ("mnist5k", "digits", 2)]
    store.create(make_config(source="mnist5k:n=500"))
    assert store.pairs()[0] == ("mnist5k:n=500", "digits", 1) and len(store.pairs()) == 3
