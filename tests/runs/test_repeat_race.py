"""Two sessions launch one config at the same time (both looked and saw no repeat): one run starts, the
other launch is refused and names it (the app's launches: ``unless_repeated``)."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fake_workers import make_config

from tlcore.runs import jobs
from tlcore.runs.repeats import RepeatedError
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

MEET_S = 2.0  # how long the first launch to create its run waits for the other to get there too


def test_two_launches_of_one_config_at_once_start_one_run_and_refuse_the_other(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "spawn", lambda *args, **kwargs: None)  # no worker: the run stays queued
    both_create = threading.Barrier(2, timeout=MEET_S)
    create = RunStore.create

    def create_together(store: RunStore, *args: object, **kwargs: object) -> str:
        """Both launches create at once when nothing holds the second back after the first looked."""
        with contextlib.suppress(threading.BrokenBarrierError):  # the other waits for this one: alone
            both_create.wait()
        return create(store, *args, **kwargs)

    monkeypatch.setattr(RunStore, "create", create_together)
    config = make_config(seed=5)

    def launch() -> str | RepeatedError:
        try:
            return jobs.launch(workspace, config, unless_repeated=True)
        except RepeatedError as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: launch(), range(2)))
    started = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, RepeatedError)]
    assert len(started) == 1 and len(refused) == 1
    assert [r.id for r in refused[0].records] == started
    assert str(refused[0]) == (
        f"not launched: run {started[0]} is queued with this same config (every field, seed 5 included)"
    )
    assert [r.id for r in RunStore(workspace).list()] == started
