"""Runs a launch would repeat (QA helper-155): the engine finds the queued, running and done runs of the
same config and pair; ``adapt`` names one on stderr and still starts its run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fake_workers import make_config

from tlcore.cli import main
from tlcore.runs import jobs
from tlcore.runs.repeats import identical_runs, repeat_line
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

RESULT = {"target_accuracy": 0.875, "source_only_accuracy": 0.75}
# the adapt commands' pair (stand-in workers): small, as adapt searches it for shared samples first
SOURCE, TARGET = "mnist5k:n=300", "digits:n=200"


def _done(store: RunStore, run_id: str) -> None:
    assert store.start(run_id, os.getpid())
    assert store.finish(run_id, RESULT)


def test_only_runs_of_every_same_field_and_pair_are_repeats_active_and_done(store: RunStore) -> None:
    config = make_config(seed=3)
    others = [
        make_config(seed=4),
        make_config(seed=3, target="usps"),
        make_config(seed=3, methods=("dann",)),
        make_config(seed=3, lr=2e-3),
        make_config(seed=3, epochs=6),
    ]
    for other in others:
        store.create(other)
    assert identical_runs(store, config) == []
    queued = store.create(config)
    assert [r.id for r in identical_runs(store, config)] == [queued]
    assert repeat_line(identical_runs(store, config)) == (
        f"run {queued} is queued with this same config (every field, seed 3 included)"
    )
    store.request_cancel(queued)  # cancelled: no repeat
    assert identical_runs(store, config) == []
    done = store.create(config)
    _done(store, done)
    running = store.create(config)
    assert store.start(running, os.getpid())
    found = identical_runs(store, config)
    assert [r.id for r in found] == [running, done]  # newest first
    assert repeat_line(found) == (
        f"run {running} is running with this same config (every field, seed 3 included); 1 more identical run"
    )
    assert repeat_line(found[1:]) == (
        f"run {done} (done, target accuracy 87.5%) had this same config (every field, seed 3 included): "
        "a repeat gives the same numbers on CPU"
    )


def test_a_dead_workers_run_is_no_repeat_and_an_older_stored_config_still_is(store: RunStore) -> None:
    config = make_config()
    dead = store.create(config)
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert store.start(dead, process.pid)  # its worker is gone: the next launch closes it
    assert identical_runs(store, config) == []
    old = store.create(config)
    stored = config.to_dict()
    del stored["settle_tol"]  # written before the field existed: its default
    with store.connect() as conn:
        conn.execute("UPDATE runs SET config = ? WHERE id = ?", (json.dumps(stored), old))
    assert [r.id for r in identical_runs(store, config)] == [old]
    with store.connect() as conn:
        conn.execute("UPDATE runs SET config = '{\"unknown\": 1}' WHERE id = ?", (old,))
    assert identical_runs(store, config) == []  # unreadable now: not the same


def test_a_done_run_of_an_older_version_is_not_said_to_give_the_same_numbers(store: RunStore) -> None:
    """QA helper-157: a run stored by an older tlstudio (its config without ema_decay, settle_tol and
    image_size): the launch was told a repeat gives the same numbers, and today's repeat differed."""
    config = make_config(seed=3)
    old = store.create(config)
    _done(store, old)
    stored = config.to_dict()
    del stored["settle_tol"], stored["image_size"]  # written before the fields existed
    with store.connect() as conn:
        conn.execute("UPDATE runs SET config = ? WHERE id = ?", (json.dumps(stored), old))
    assert repeat_line(identical_runs(store, config)) == (
        f"run {old} (done, target accuracy 87.5%) had this same config (every field, seed 3 included): it "
        "was stored by an older tlstudio (before image_size, settle_tol) and trained by its code, so a "
        "repeat measures this version's and may differ"
    )


def test_a_done_run_of_another_thread_count_is_not_said_to_give_the_same_numbers(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helper-265: the recipe's seed-3 run trained on 1 torch thread; `adapt` at 2 threads was told a
    repeat gives the same numbers, and its losses, weights and UMAP differed (up to 0.013 in a loss)."""
    config = make_config(seed=3)
    one_thread = store.create(config)
    assert store.start(one_thread, os.getpid())
    assert store.finish(one_thread, RESULT | {"info": {"torch_threads": 1}})
    same = "this same config (every field, seed 3 included)"
    head = f"run {one_thread} (done, target accuracy 87.5%) had {same}: "
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # a launch from here trains on 2 threads (run_threads)
    assert repeat_line(identical_runs(store, config)) == head + (
        "it trained on 1 torch thread and a launch here trains on 2, which sum in another order, so a "
        "repeat may differ (OMP_NUM_THREADS=1 repeats it)"
    )
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert repeat_line(identical_runs(store, config)) == head + "a repeat gives the same numbers on CPU"


def test_adapt_names_the_run_it_repeats_on_stderr_and_still_runs(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "DEFAULT_WORKER", "fake_workers:quick")
    argv = ["--workspace", str(workspace.root), "adapt", "--source", SOURCE, "--target", TARGET]
    argv += ["--method", "source_only", "--epochs", "2", "--seed", "5", "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)["run_id"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    second = json.loads(out)["run_id"]
    assert second != first and RunStore(workspace).get(second).status == "done"
    assert " ".join(err.split()) == (  # wrapped to the terminal
        f"note: run {first} (done, target accuracy 90.0%) had this same config (every field, seed 5 "
        "included): a repeat gives the same numbers on CPU; starting another anyway"
    )


def test_adapt_detach_names_a_queued_repeat(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "DEFAULT_WORKER", "fake_workers:quick")
    store = RunStore(workspace)
    queued = store.create(make_config(2, seed=5, augment=True, source=SOURCE, target=TARGET))
    argv = ["--workspace", str(workspace.root), "adapt", "--source", SOURCE, "--target", TARGET]
    argv += ["--method", "source_only", "--epochs", "2", "--seed", "5", "--detach"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert " ".join(err.split()) == (
        f"note: run {queued} is queued with this same config (every field, seed 5 included); starting "
        "another anyway"
    )
    (started,) = (r for r in store.list() if r.id != queued)
    assert f"run {started.id} started" in out
    assert jobs.wait(workspace, started.id, timeout=30).status == "done"
