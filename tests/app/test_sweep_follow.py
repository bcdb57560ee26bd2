"""The Sweep page follows live sweeps without taking the page from a sweep the user picked: a sweep
started elsewhere (``sweep --detach``, another tab, a resume) is followed while the page shows its
default, offered in a notice while it shows a finished sweep the user picked; a live sweep is always
listed in the picker, however old; coming back to the page shows the newest live sweep unless the
user had picked one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from app_support.sweeps import label
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, plain
from tests.app.sweep_page import PAIR, ended, picker, started_elsewhere
from tests.sweeps.stored_sweeps import many_sweeps
from tlcore.runs import driver
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def follow_buttons(at: AppTest) -> list[Any]:
    return [b for b in at.button if b.label.startswith("Follow sweep")]


def test_a_picked_finished_sweep_stays_and_the_notice_offers_the_live_one(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    ws = Workspace.resolve(workspace)
    older, newer = ended(ws), ended(ws)
    at = app("sweep")
    assert picker(at).value == newer and not follow_buttons(at)
    picker(at).set_value(older).run()  # the user reads the older one
    live = started_elsewhere(ws)
    auto_reruns.clear()
    at.run()  # as the idle look reruns the page
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == older and auto_reruns == [10.0]
    (button,) = follow_buttons(at)
    assert plain(button.label).startswith(f"Follow sweep {live[-6:]} (created ")
    assert plain(button.label).endswith(", 0/2 done)")
    button.click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == live and not follow_buttons(at) and auto_reruns[-1] == 2.0


def test_an_unpicked_page_follows_a_sweep_started_elsewhere(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    ws = Workspace.resolve(workspace)
    ended(ws)
    at = app("sweep")
    live = started_elsewhere(ws)
    auto_reruns.clear()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == live and auto_reruns == [2.0] and not follow_buttons(at)


def test_coming_back_shows_the_newest_live_sweep_unless_one_was_picked(app: OpenApp, workspace: Path) -> None:
    ws = Workspace.resolve(workspace)
    store = SweepStore(ws)
    first = started_elsewhere(ws)
    at = app("sweep")
    assert picker(at).value == first
    at.switch_page("app_pages/home.py").run()
    assert store.end(first, "cancelled", "cancelled on request")
    second = started_elsewhere(ws)
    at.switch_page("app_pages/sweep.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == second

    picker(at).set_value(first).run()  # picked: kept across a visit elsewhere, the live one offered
    at.switch_page("app_pages/home.py").run()
    third = started_elsewhere(ws)
    at.switch_page("app_pages/sweep.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == first
    assert [plain(b.label)[:19] for b in follow_buttons(at)] == [f"Follow sweep {third[-6:]}"]


def test_a_resumed_sweep_older_than_the_newest_50_is_followed(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    ws = Workspace.resolve(workspace)
    store = SweepStore(ws)
    ids = many_sweeps(store, 52, SMALL_SOURCE, SMALL_TARGET)
    for sweep_id in ids:
        assert store.end(sweep_id, "cancelled", "cancelled on request")
    at = app("sweep")
    assert picker(at).value == ids[-1] and label(store.get(ids[0]), PAIR) not in picker(at).options
    driver.resume(ws, ids[0])  # the oldest, resumed from a shell
    store.claim(ids[0], os.getpid())
    auto_reruns.clear()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == ids[0] and auto_reruns == [2.0]
    # the live one at the top, where a user looks first; then the newest 50, in their order
    assert picker(at).options == [label(store.get(i), PAIR) for i in [ids[0], *ids[:1:-1]]]
    (listed,) = [plain(c.value) for c in at.caption if "newest first" in c.value]
    assert (
        listed == "52 sweeps, newest first: 1 to 50 listed below, the live one at the top (not among them)."
    )


def test_a_click_on_follow_after_its_progress_moved_still_follows(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    """The notice's button is keyed by its sweep: the click the browser sends for the button it shows
    still reaches it after the sweep's progress moved the button's label (keyed by its label, the
    rerun drew a new widget and the browser's click was lost)."""
    ws = Workspace.resolve(workspace)
    store = SweepStore(ws)
    older, _ = ended(ws), ended(ws)
    at = app("sweep")
    picker(at).set_value(older).run()  # picked: the live one is offered, not followed
    live = started_elsewhere(ws)
    at.run()
    (shown,) = follow_buttons(at)  # as the browser shows it
    assert live in shown.key and plain(shown.label).endswith(", 0/2 done)")
    row = driver.summary(ws, live).trials[0]
    assert store.runs.start(store.runs.create(row.trial.config, sweep_id=live, trial_key=row.trial.key), 1)
    at.run()  # the idle look: the label moved, the button (its widget id) stayed
    (moved,) = follow_buttons(at)
    assert plain(moved.label).endswith(", 0/2 done, 1 running)") and moved.id == shown.id
    shown.click().run()  # the click on the label the browser still showed
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == live and not follow_buttons(at) and auto_reruns[-1] == 2.0
