"""When the Adapt page's runs panel refreshes itself: every 2 s only while a run it lists is queued or
running, and then only the live runs' cards; with none, a fragment that shows nothing looks every 10 s
whether one started elsewhere."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import adapt_runs
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.record import RunRecord
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def with_a_done_run(workspace: Path) -> tuple[RunStore, AdaptConfig, str]:
    """The workspace's store, the config of its one done run (80% on the target) and that run's id."""
    run_store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("dann",), epochs=2)
    done = run_store.create(config)
    assert run_store.start(done, pid=os.getpid())
    assert run_store.finish(done, {"target_accuracy": 0.8, "source_only_accuracy": 0.7})
    return run_store, config, done


def test_an_idle_panel_is_drawn_once_and_goes_live_when_a_run_is_queued_elsewhere(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    """QA: an Adapt tab left open with nothing running redrew its panel (8 runs' cards and curves)
    every 2 s all day. A run queued by the CLI (its worker alive) makes the next page run live."""
    run_store, config, _ = with_a_done_run(workspace)
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    assert auto_reruns == [10.0]
    assert [m.value for m in at.metric] == ["80.0%"]  # the done run's card, drawn with the page

    queued = run_store.create(config)  # as `adapt --detach` from a shell queues it
    assert run_store.assign_pid(queued, os.getpid())
    auto_reruns.clear()
    at.run()
    assert auto_reruns == [2.0]
    assert sum("Queued" in c.value for c in at.caption) == 1 and len(at.metric) == 1

    assert run_store.end(queued, "cancelled", "cancelled before it started")
    auto_reruns.clear()
    at.run()
    assert auto_reruns == [10.0]
    assert any("cancelled before it started" in i.value for i in at.info)


def test_an_idle_panel_looks_again_when_a_run_it_shows_is_deleted_elsewhere(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    """Demo QA (helper-278): `runs delete` in a shell left the deleted run's card on every open Adapt
    page, as its idle look only asked whether a run was live."""
    run_store, _, done = with_a_done_run(workspace)
    at = app("adapt")
    assert auto_reruns == [10.0] and [m.value for m in at.metric] == ["80.0%"]
    assert not adapt_runs.runs_changed(SMALL_SOURCE, SMALL_TARGET, (done,))
    run_store.delete(done)  # as `runs delete` from a shell
    assert adapt_runs.runs_changed(SMALL_SOURCE, SMALL_TARGET, (done,))  # the look reruns the page
    at.run()
    assert not at.metric and auto_reruns[-1] == 10.0


def _cards(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """``(run id, drawn inside the live cards' fragment)`` of each card the page draws, in order."""
    drawn: list[tuple[str, bool]] = []
    draw = adapt_runs.run_card

    def recording(record: RunRecord, alarm: tuple[str, bool] | None) -> None:
        drawn.append((record.id, any(caller.function == "live_cards" for caller in inspect.stack(0))))
        draw(record, alarm)

    monkeypatch.setattr(adapt_runs, "run_card", recording)
    return drawn


def test_only_live_runs_cards_redraw_themselves_in_the_panels_order(
    app: OpenApp, workspace: Path, auto_reruns: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """helper-255: while one run trained, the fragment redrawn every 2 s held the whole panel, every
    ended run's card and chart too (8 charts a refresh on a loaded machine). Now an ended run's card is
    drawn with the page alone and each group of live runs that follow each other in the panel is one
    fragment, the cards in the panel's order."""
    run_store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("dann",), epochs=2)
    made = []
    for status in ("running", "done", "running", "running", "done"):  # oldest first
        run_id = run_store.create(config)
        assert run_store.start(run_id, pid=os.getpid())
        if status == "done":
            assert run_store.finish(run_id, {"target_accuracy": 0.8, "source_only_accuracy": 0.7})
        made.append((run_id, status == "running"))
    drawn = _cards(monkeypatch)
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    assert drawn == made[::-1] and auto_reruns == [2.0, 2.0]  # newest first; two live groups

    source, target = SMALL_SOURCE, SMALL_TARGET
    listed, group = tuple(i for i, _ in made[::-1]), (made[3][0], made[2][0])
    assert adapt_runs.live_cards(source, target, listed, group)  # a refresh: still live, same list
    assert run_store.finish(made[2][0], {"target_accuracy": 0.9, "source_only_accuracy": 0.7})
    assert not adapt_runs.live_cards(source, target, listed, group)  # one ended: the page reruns
    assert adapt_runs.live_cards(source, target, listed, (made[3][0],))
    run_store.create(config)  # launched elsewhere (another tab, the CLI): the page reruns to list it
    assert not adapt_runs.live_cards(source, target, listed, (made[3][0],))
