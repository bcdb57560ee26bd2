"""The Sweep page's picker reaches every sweep, not the newest 50 only: pages of 50, newest first, and
a filter by method, spec, status, date or id (sweeps created through the store, none run). Each sweep
is named without the sidebar's pair, another pair's sweep with its pair last (cut where long)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_support.sweeps import label
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, plain
from tests.app.sweep_page import PAIR, finder, picker
from tests.sweeps.stored_sweeps import many_sweeps
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def oldest_live(store: SweepStore, n: int) -> list[str]:
    """``n`` sweeps of the small pair, oldest first (:func:`many_sweeps`): the oldest live (this live
    process drives it), the others cancelled."""
    ids = many_sweeps(store, n, SMALL_SOURCE, SMALL_TARGET)
    for sweep_id in ids[1:]:
        assert store.end(sweep_id, "cancelled", "cancelled on request")
    store.claim(ids[0], os.getpid())
    return ids


def listed(at: AppTest) -> str:
    return next(plain(c.value) for c in at.caption if "newest first" in c.value)


def test_an_old_sweep_is_reached_by_page_and_by_its_date(app: OpenApp, workspace: Path) -> None:
    store = SweepStore(Workspace.resolve(workspace))
    ids = many_sweeps(store, 60, SMALL_SOURCE, SMALL_TARGET)
    for sweep_id in ids:  # ended: a live sweep is listed on every page (test_sweep_follow.py)
        assert store.end(sweep_id, "cancelled", "cancelled on request")
    newest_first = ids[::-1]
    at = app("sweep")
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).options and picker(at).value == newest_first[0]  # the newest still first
    assert picker(at).options == [label(store.get(i), PAIR) for i in newest_first[:50]]
    assert listed(at) == "60 sweeps, newest first: 1 to 50 listed below."
    page = next(w for w in at.number_input if w.label == "Page (of 2)")
    page.set_value(2).run()
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == newest_first[50] and listed(at).endswith("51 to 60 listed below.")
    assert len(picker(at).options) == 10
    finder(at).set_value("2026-11-01").run()  # the oldest, by the date its label shows
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == ids[0] and len(picker(at).options) == 1
    assert picker(at).options[0].startswith("2026-11-01 12:00 · deep_coral+im · ")
    assert listed(at) == "1 sweep matching, newest first: 1 to 1 listed below."
    assert "Page (of 2)" not in [w.label for w in at.number_input]
    finder(at).set_value("2026-12 dann").run()  # back to page 1 of its 15 matches
    assert picker(at).value == newest_first[0] and len(picker(at).options) == 15
    finder(at).set_value("usps").run()
    assert [plain(i.value) for i in at.info] == ["No sweep matches usps."] and not at.exception


def test_the_pickers_label_follows_the_stored_status_without_a_reload(app: OpenApp, workspace: Path) -> None:
    """QA: after a sweep ended the picker still read "running" until the page was reloaded: the browser
    shows the label it was sent with the chosen sweep, and a rerun that keeps the same sweep sent none.
    A rerun after the stored status changed now sends the chosen sweep with its new label."""
    store = SweepStore(Workspace.resolve(workspace))
    (sweep_id,) = many_sweeps(store, 1, SMALL_SOURCE, SMALL_TARGET)
    at = app("sweep")
    assert not at.exception, [e.message for e in at.exception]
    queued = label(store.get(sweep_id), PAIR)
    assert picker(at).proto.raw_value == queued and queued.endswith(f" · queued · {sweep_id[-6:]}")
    at.run()  # nothing changed: the browser already shows the label
    assert not picker(at).proto.set_value
    store.claim(sweep_id, os.getpid())  # a driver took it (this live process, so it is not stale)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    running = label(store.get(sweep_id), PAIR)
    assert " · running · " in running and picker(at).options == [running]
    assert picker(at).proto.set_value and picker(at).proto.raw_value == running  # sent with its new label
    assert picker(at).value == sweep_id


def test_live_sweeps_lead_the_picker_and_outlast_a_filter_that_matches_nothing(
    app: OpenApp, workspace: Path, auto_reruns: list[float]
) -> None:
    """The live sweep is listed first, the others newest first in their order; a filter that keeps
    no sweep keeps it listed (and the user's pick), says so, and offers the way back."""
    store = SweepStore(Workspace.resolve(workspace))
    ids = oldest_live(store, 3)
    at = app("sweep")
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).options == [label(store.get(i), PAIR) for i in (ids[0], ids[2], ids[1])]
    assert picker(at).value == ids[0] and auto_reruns[-1] == 2.0
    assert listed(at) == "3 sweeps, newest first: 1 to 3 listed below, the live one at the top."

    finder(at).set_value("usps").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(i.value) for i in at.info] == ["No sweep matches usps; the live one is listed below."]
    assert picker(at).options == [label(store.get(ids[0]), PAIR)] and picker(at).value == ids[0]
    assert auto_reruns[-1] == 2.0  # still followed live

    finder(at).set_value("").run()
    picker(at).set_value(ids[1]).run()  # picked, then a filter that keeps none
    finder(at).set_value("usps").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(i.value) for i in at.info] == [
        "No sweep matches usps; the live one and the one you picked are listed below.",
        "A sweep is live; the page stays on the one shown.",  # and offered (test_sweep_follow.py)
    ]
    assert picker(at).options == [label(store.get(i), PAIR) for i in (ids[0], ids[1])]
    assert picker(at).value == ids[1]
    next(b for b in at.button if b.label == "Show every sweep").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert finder(at).value == "" and picker(at).value == ids[1] and len(picker(at).options) == 3


def test_a_last_page_holding_only_the_live_sweep_is_not_offered(app: OpenApp, workspace: Path) -> None:
    """51 sweeps, the oldest live: it is at the top of page 1 already, so there is no page 2 to show it
    again (pages counted it: :meth:`SweepStore.pages`, as ``sweeps list``'s tail)."""
    store = SweepStore(Workspace.resolve(workspace))
    ids = oldest_live(store, 51)
    at = app("sweep")
    assert not at.exception, [e.message for e in at.exception]
    assert not [w.label for w in at.number_input if w.label.startswith("Page")]
    assert picker(at).options[0] == label(store.get(ids[0]), PAIR) and len(picker(at).options) == 51
    assert (
        listed(at)
        == "51 sweeps, newest first: 1 to 50 listed below, the live one at the top (not among them)."
    )


def test_the_sidebars_pair_is_left_out_of_its_sweeps_labels_and_another_pair_comes_last(
    app: OpenApp, workspace: Path
) -> None:
    """QA (1024 px): a long pair cut each option and hid its status and id ("…interrupted · 5…"). The
    sidebar's pair's sweeps are named without it (status and id last); another pair's sweep keeps its
    pair, after them, each spec cut at 20 characters, and the help names both pairs whole."""
    store = SweepStore(Workspace.resolve(workspace))
    source, target = "mnist5k:n=200,rotate=30,noise=0.1", "digits:n=200,rotate=30,blur=1,contrast=0.5"
    (other,) = many_sweeps(store, 1, SMALL_SOURCE, SMALL_TARGET)
    (mine,) = many_sweeps(store, 1, source, target)
    with store.runs.connect() as conn:  # a day newer
        conn.execute("UPDATE sweeps SET created = created + 86400 WHERE id = ?", (mine,))
    assert store.end(mine, "interrupted", "driver gone") and store.end(other, "cancelled", "on request")
    at = app("sweep", source=source, target=target)
    assert not at.exception, [e.message for e in at.exception]
    assert picker(at).value == mine
    assert picker(at).options == [
        f"2026-11-02 12:00 · deep_coral+im · interrupted · {mine[-6:]}",
        f"2026-11-01 12:00 · deep_coral+im · cancelled · {other[-6:]} · {SMALL_SOURCE} → {SMALL_TARGET}",
    ]
    assert picker(at).options == [label(store.get(i), (source, target)) for i in (mine, other)]
    assert plain(picker(at).help) == (
        "Each sweep: when it was created, its compositions, its status and the end of its id. Sweeps of "
        f"the sidebar's pair ({source} → {target}) are named without it; another pair's sweep with its "
        "pair, last."
    )
    at = app("sweep")  # the other pair's sweep now: this one's long specs cut, whole in the help
    assert picker(at).value == other
    assert picker(at).options[0] == (
        f"2026-11-02 12:00 · deep_coral+im · interrupted · {mine[-6:]} · "
        "mnist5k:n=200,rotat… → digits:n=200,rotate…"
    )
    assert plain(picker(at).help).endswith(f"Pairs cut where long (…); in full: {source} → {target}.")
