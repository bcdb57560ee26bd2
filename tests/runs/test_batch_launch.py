"""A launch of several runs (the Adapt form's) is all or nothing: every config is looked at for repeats,
then every run created, under one lock, so a repeat found anywhere in the batch creates none of its runs
(the app's launches: ``unless_repeated``)."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from fake_workers import make_config

from tlcore.errors import TLError
from tlcore.runs import jobs
from tlcore.runs.repeats import RepeatedError
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

MEET_S = 2.0  # how long a launch's first worker start waits for the other launch's


@pytest.mark.parametrize("order", ["same", "reversed"])
def test_two_launches_of_one_batch_at_once_start_one_batch_and_refuse_the_other_whole(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    """Each launch's worker starts wait for the other launch, so a launch that let go of the lock
    between its configs would let the other create one run meanwhile: two half batches, both refused."""
    both_spawn = threading.Barrier(2, timeout=MEET_S)

    def spawn_together(*args: object, **kwargs: object) -> None:
        """No worker (the run stays queued): waits for the other launch to start one or be refused."""
        with contextlib.suppress(threading.BrokenBarrierError):
            both_spawn.wait()

    monkeypatch.setattr(jobs, "spawn", spawn_together)
    batch = [make_config(seed=1), make_config(seed=2)]
    batches = [batch, batch if order == "same" else batch[::-1]]

    def launch(configs: list) -> list[str] | RepeatedError:
        try:
            return jobs.launch_all(workspace, configs, unless_repeated=True)
        except RepeatedError as exc:
            both_spawn.abort()  # the other launch's starts wait no longer
            return exc

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(launch, batches))
    started = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, RepeatedError)]
    assert len(started) == 1 and len(refused) == 1 and len(started[0]) == 2
    created = RunStore(workspace).list()
    assert sorted(r.id for r in created) == sorted(started[0])
    assert sorted(r.config["seed"] for r in created) == [1, 2]
    assert refused[0].records[0].id in started[0]


def test_a_batch_whose_second_config_repeats_a_run_creates_none(workspace: Workspace) -> None:
    store = RunStore(workspace)
    existing = store.create(make_config(seed=2))
    with pytest.raises(RepeatedError) as refused:
        jobs.launch_all(workspace, [make_config(seed=1), make_config(seed=2)], unless_repeated=True)
    assert [r.id for r in refused.value.records] == [existing]
    assert str(refused.value) == (
        f"not launched: run {existing} is queued with this same config (every field, seed 2 included)"
    )
    assert [r.id for r in store.list()] == [existing]


def test_a_worker_that_cannot_start_fails_its_run_and_the_others_still_start(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[list[str]] = []

    def start_detached(args: list[str], *_: object) -> SimpleNamespace:
        starts.append(args)
        if len(starts) == 1:
            raise OSError(errno.EMFILE, "Too many open files")
        return SimpleNamespace(pid=os.getpid())  # a stand-in process: nothing trains

    monkeypatch.setattr(jobs, "start_detached", start_detached)
    store = RunStore(workspace)
    with pytest.raises(TLError) as failed:
        jobs.launch_all(workspace, [make_config(seed=1), make_config(seed=2)])
    runs = {r.config["seed"]: r for r in store.list()}
    assert str(failed.value) == f"could not start a worker process for run {runs[1].id}: Too many open files"
    assert [len(starts), runs[1].status, runs[1].error] == [
        2,
        "failed",
        "could not start the worker process: Too many open files",
    ]
    assert [runs[2].status, runs[2].pid] == ["queued", os.getpid()]
