"""The Sweep page notices a sweep started elsewhere (``sweep --detach`` from a shell): while the sweep
it follows is still, a fragment that shows nothing looks every 10 s; a sweep that went live is then
followed, its trials redrawn every 2 s, and drawn still once it ends."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.sweep_page import ended, finder, picker, started_elsewhere
from tlcore.events import ProgressEvent
from tlcore.runs import driver
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def trials(at: AppTest) -> list[tuple[str, float]]:
    """The trials table's status and progress per trial."""
    table = at.dataframe[0].value
    return list(zip(table["status"], table["progress"], strict=True))


def test_a_sweep_started_from_the_cli_is_followed_live_then_still(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    """QA: a sweep launched from a shell while the page was open never appeared until a reload."""
    ws = Workspace.resolve(workspace)
    store = SweepStore(ws)
    at = app("sweep")
    assert any("No sweeps yet" in i.value for i in at.info) and auto_reruns == [10.0]

    first = started_elsewhere(ws)
    auto_reruns.clear()
    at.run()  # as the idle look reruns the page
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == first and auto_reruns == [2.0]
    assert trials(at) == [("pending", 0.0), ("pending", 0.0)]
    rows = driver.summary(ws, first).trials
    running, failed = (store.runs.create(r.trial.config, sweep_id=first, trial_key=r.trial.key) for r in rows)
    assert store.runs.start(running, os.getpid()) and store.runs.start(failed, os.getpid())
    store.runs.record_event(running, ProgressEvent("step", "train", 0.25))
    auto_reruns.clear()
    at.run()
    assert trials(at) == [("running", 0.25), ("running", 0.0)] and auto_reruns == [2.0]

    assert store.runs.end(running, "cancelled", "cancelled") and store.runs.end(failed, "failed", "boom")
    assert store.end(first, "cancelled", "cancelled on request")
    auto_reruns.clear()
    at.run()  # as the live panel reruns the page when the sweep ends
    assert picker(at).value == first and auto_reruns == [10.0]
    assert [s for s, _ in trials(at)] == ["cancelled", "failed"]

    second = started_elsewhere(ws)  # the followed sweep is still: the page follows the new one
    auto_reruns.clear()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == second and auto_reruns == [2.0]
    assert trials(at) == [("pending", 0.0), ("pending", 0.0)]


def test_a_filter_matching_nothing_still_notices_a_sweep_and_lists_the_newest(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    ws = Workspace.resolve(workspace)
    ended(ws)
    at = app("sweep")
    auto_reruns.clear()
    finder(at).set_value("usps").run()
    assert any("No sweep matches usps" in i.value for i in at.info) and auto_reruns == [10.0]
    started = started_elsewhere(ws)
    auto_reruns.clear()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert finder(at).value == ""
    assert picker(at).value == started and auto_reruns == [2.0]


def test_a_sweep_started_while_the_followed_one_runs_does_not_take_the_page_when_that_one_ends(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    """QA: watching a sweep to its end, the page jumped to one started from a shell meanwhile (when no
    trial had ended in between), so the finished sweep's results were never shown."""
    ws = Workspace.resolve(workspace)
    store = SweepStore(ws)
    followed = started_elsewhere(ws)
    at = app("sweep")
    assert picker(at).value == followed and auto_reruns[-1] == 2.0
    started_elsewhere(ws)  # the live panel redraws only itself: the page has not run since
    assert store.end(followed, "cancelled", "cancelled on request")
    auto_reruns.clear()
    at.run()  # as the live panel reruns the page when the followed sweep ends
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == followed and auto_reruns == [10.0]
