"""The Sweep page's calls into ``tlcore``: the spec its form describes, a sweep's background driver,
following it, and its results.

The form's text parses through the same :func:`tlcore.runs.sweep.spec_from_text` as
``python -m tlcore sweep``; every number shown comes from :func:`tlcore.runs.driver.summary`, the
summary ``python -m tlcore sweeps show`` prints. Launching never blocks: the driver is a background
process (:func:`tlcore.runs.driver.launch`) that survives a reload.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from app_support import display, engine, state
from tlcore.runs import driver, sweep_store
from tlcore.runs.executors import EXECUTORS, ExecutorKind, ExecutorSettings
from tlcore.runs.executors.ray_checks import check_apart
from tlcore.runs.search import Search
from tlcore.runs.summary import SweepSummary
from tlcore.runs.sweep import SweepSpec, check_labelled, check_networks, checked, spec_from_text
from tlcore.runs.sweep_store import CREATED, SweepRecord, SweepStore, the_live
from tlcore.views import run_names
from tlcore.workspace import Workspace

RANGE_MARK = ":"  # a key's text with a colon is a range, LOW:HIGH[:log][:int]; else a list of values
ENDED = ("done", "failed")  # trial statuses that will not change again
PAGE_SIZE = 50  # sweeps listed in the picker at once


def store() -> SweepStore:
    """The sweep store of the workspace (one per workspace, like :func:`app_support.engine.store`)."""
    return _store(str(engine.workspace().root))


def _index_exists(sweeps: SweepStore) -> bool:
    return sweeps.workspace.index_path.is_file()


@st.cache_resource(max_entries=4, show_spinner=False, validate=_index_exists)
def _store(root: str) -> SweepStore:
    return SweepStore(Workspace.resolve(root))


# ---- defining ----------------------------------------------------------------------------------------


def plan(
    source: str,
    target: str,
    methods: str,
    values: Mapping[str, str],
    *,
    search: Search,
    seeds: str,
    budget: Mapping[str, Any],
) -> SweepSpec:
    """The checked spec the form describes; ``values``: each space key's text (empty: the default;
    ``0.1,0.3,1``: a list of values; ``0.01:1:log``: a range for a random or Optuna search)."""
    given = {key: text.strip() for key, text in values.items() if text.strip()}
    grid = [f"{key}={text}" for key, text in given.items() if RANGE_MARK not in text]
    ranges = [f"{key}={text}" for key, text in given.items() if RANGE_MARK in text]
    spec = spec_from_text(
        source, target, methods, grid=grid, ranges=ranges, search=search, seeds=seeds, budget=budget
    )
    return checked(spec)


def executors() -> list[ExecutorKind]:
    """The executors this installation can use: ``local``, and ``ray`` when Ray is installed."""
    return [kind for kind in EXECUTORS if kind != "ray" or importlib.util.find_spec("ray") is not None]


def launch(spec: SweepSpec, settings: ExecutorSettings) -> str:
    """Store the sweep and start its driver in the background; its id. The labels its runs need and
    the networks they build are checked first, on the loaded domains (as Adapt's Launch does), and an
    existing Ray cluster answers and takes the driver's token (as the CLI checks, Ray not imported here)."""
    check_cluster(settings)
    check_labelled(spec, lambda data: engine.load(data).labelled)
    check_networks(spec, engine.load_pair(spec.source, spec.target, spec.seeds[0])[0].shape)
    sweep_id = driver.create(engine.workspace(), spec, settings)
    driver.launch(engine.workspace(), sweep_id)
    return sweep_id


def check_cluster(settings: ExecutorSettings) -> None:
    """A :class:`TLError` with the CLI's line unless the existing Ray cluster ``settings`` name answers,
    takes the driver's token and has a node on this machine (:func:`check_apart`, Ray not imported
    here); nothing to check for an embedded cluster or the local executor."""
    if settings.kind == "ray" and settings.address is not None:
        check_apart(settings.address)


# ---- following ---------------------------------------------------------------------------------------


def count(find: str = "") -> int:
    """How many sweeps ``find`` keeps (:func:`tlcore.runs.sweep_store.find_filter`; empty: all)."""
    return store().count(find)


def pages(find: str, live: list[str]) -> int:
    """How many pages of :data:`PAGE_SIZE` the sweeps ``find`` keeps fill (at least one), a last page
    of ``live`` ones alone left out (:meth:`~tlcore.runs.sweep_store.SweepStore.pages`)."""
    return store().pages(PAGE_SIZE, find, live)


def page_of(find: str, page: int) -> list[SweepRecord]:
    """Page ``page`` (from 1) of the sweeps ``find`` keeps, newest first; one found without its driver
    among them is closed (``interrupted``) and the page read again."""
    args = {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE, "find": find}
    records = store().list(**args)
    return store().list(**args) if store().mark_stale(records) else records


def listing(records: list[SweepRecord], live: list[str]) -> list[SweepRecord]:
    """The sweeps the picker offers, in its order: ``records`` (a page of them) with the ``live`` ones
    first (:meth:`~tlcore.runs.sweep_store.SweepStore.live_first`, as ``sweeps list``), then the one
    the user picked when it is neither (a pick outlives a visit to another page or a filter)."""
    on_page = {record.id for record in records}
    picked = st.session_state.get(state.SWEEP_PICKED)
    last = [picked] if picked is not None and picked not in on_page and picked not in live else []
    return [*store().live_first(records, live), *map(store().get, last)]


def listed_line(total: int, find: str, page: int, records: list[SweepRecord], live: list[str]) -> str:
    """Which sweeps the picker lists (:func:`listing`): page ``page`` of the ``total`` that ``find``
    keeps (``records``), the ``live`` ones at the top (as ``sweeps list`` says it:
    :func:`~tlcore.runs.sweep_store.listed_line`) and the user's pick at the bottom."""
    line = sweep_store.listed_line(total, find, (page - 1) * PAGE_SIZE, records, live)
    picked = st.session_state.get(state.SWEEP_PICKED)
    bottom = ", the one you picked at the bottom (not among them)"
    bottom *= picked is not None and picked not in {r.id for r in records} and picked not in live
    return f"{line}{bottom}."


def unmatched_line(find: str, offered: list[SweepRecord], live: list[str]) -> str:
    """What the page says when ``find`` keeps no sweep: which of them the picker lists all the same
    (``offered``, :func:`listing`: the ``live`` ones and the user's pick)."""
    which = [the_live(len(live))] * bool(live) + ["the one you picked"] * (len(offered) > len(live))
    listed = f"; {' and '.join(which)} {'is' if len(offered) == 1 else 'are'} listed below" if which else ""
    return f"No sweep matches {find.strip()}{listed}."


def newest_of_pair(records: list[SweepRecord], pair: tuple[str, str]) -> str | None:
    """The id of the newest sweep of ``pair`` among ``records`` (newest first), None when none is."""
    return next((r.id for r in records if pair_of(r) == pair), None)


def settle_chosen(by_id: Mapping[str, SweepRecord], records: list[SweepRecord]) -> None:
    """Before the picker is drawn: the chosen sweep if the picker lists it (``by_id``), else the newest
    of the sidebar's pair among ``records`` (:func:`newest_of_pair`), else the newest (the first
    listed when the filter keeps none). The browser
    keeps the label it was sent with the chosen sweep and shows it while the chosen sweep stays the
    same, its options' new labels aside ("running" after the sweep ended): setting the chosen sweep
    again, when its label changed, sends it with the new one."""
    if st.session_state.get(state.SWEEP_CHOSEN) not in by_id:
        newest = records[0].id if records else next(iter(by_id))
        st.session_state[state.SWEEP_CHOSEN] = newest_of_pair(records, state.pair()) or newest
    chosen = st.session_state[state.SWEEP_CHOSEN]
    if st.session_state.get(state.SWEEP_LABEL) != label(by_id[chosen], state.pair()):
        st.session_state[state.SWEEP_CHOSEN] = chosen


def choose(offered: list[SweepRecord], records: list[SweepRecord]) -> str:
    """Draw the picker of the ``offered`` sweeps (:func:`listing`; ``records``: the page of them) and
    return the chosen one's id: chosen as :func:`settle_chosen` says, each named by :func:`labels`, the
    pairs they cut whole in its help (:func:`picker_help`); the label sent is kept for the next run."""
    by_id = {record.id: record for record in offered}
    settle_chosen(by_id, records)
    names = labels(by_id)
    sweep_id = st.selectbox(
        "Sweep",
        list(by_id),
        key=state.SWEEP_CHOSEN,
        format_func=names.__getitem__,
        on_change=picked,
        help=display.esc(picker_help(offered)),
    )
    st.session_state[state.SWEEP_LABEL] = names[sweep_id]
    return sweep_id


def follow(sweep_id: str) -> SweepSummary:
    """The sweep's trials and results as they stand (closed first if its driver is gone)."""
    store().mark_stale([store().get(sweep_id)])
    return driver.summary(engine.workspace(), sweep_id)


def live_ids() -> list[str]:
    """The ids of the live sweeps, newest first (:meth:`~tlcore.runs.sweep_store.SweepStore.live`)."""
    return [record.id for record in store().live()]


def live_changed(live: list[str]) -> bool:
    """Whether the queued and running sweeps are no longer ``live`` (the page's list at its last full
    run): one started or resumed elsewhere (another tab, the CLI), or one ended."""
    return live_ids() != live


def notice_started(live_now: list[str]) -> None:
    """Choose the sweep the page shows, before its picker is drawn. The user's pick stays (the picker
    forgets it on another page: :data:`state.SWEEP_PICKED` keeps it). Else a sweep that went live since
    the page's last full run (launched from the CLI or another tab, or resumed) is followed, unless the
    followed one is live itself or was at that run (the live panel redraws only itself: a sweep that
    just ended keeps the page), and the picker then lists the newest; a page opened or come back to
    shows the newest live sweep of the sidebar's pair. A still sweep shown has the live one offered
    instead (:func:`offer_line`)."""
    known = st.session_state.get(state.SWEEP_LIVE)
    st.session_state[state.SWEEP_LIVE] = live_now
    started = [i for i in live_now if known is not None and i not in known]
    picked = st.session_state.get(state.SWEEP_PICKED)
    chosen = st.session_state.get(state.SWEEP_CHOSEN) or picked
    ended = chosen not in live_now and chosen not in (known or [])  # not live now, nor at the last run
    if started and (chosen is None or (chosen != picked and ended)):
        chosen = started[0]
        state.newest_sweeps()
    elif chosen is None:  # else the picker opens on the newest of the sidebar's pair, live or not
        chosen = newest_of_pair([store().get(i) for i in live_now], state.pair())
    if chosen != st.session_state.get(state.SWEEP_CHOSEN):  # set again, the browser is sent it again
        st.session_state[state.SWEEP_CHOSEN] = chosen


def picked() -> None:
    """Callback of the picker: the user chose the sweep it shows, which the page now keeps."""
    st.session_state[state.SWEEP_PICKED] = st.session_state[state.SWEEP_CHOSEN]


def pick(sweep_id: str) -> None:
    """Show the sweep (just launched) as if the user picked it."""
    st.session_state[state.SWEEP_CHOSEN] = st.session_state[state.SWEEP_PICKED] = sweep_id
    state.newest_sweeps()


def follow_instead(sweep_id: str) -> None:
    """Callback of the notice's button: follow the live sweep, the page no longer held by a pick."""
    st.session_state[state.SWEEP_CHOSEN], st.session_state[state.SWEEP_PICKED] = sweep_id, None
    state.newest_sweeps()


def offer_line(sweep_id: str) -> str:
    """The notice's button for a live sweep: ``Follow sweep 3f9a2c (created 12:03, 2/6 done)``, the
    day too when it was created before today (a resumed one)."""
    summary = follow(sweep_id)
    created = time.localtime(summary.sweep.created)
    today = created[:3] == time.localtime()[:3]
    when = time.strftime("%H:%M" if today else CREATED, created)
    return f"Follow sweep {sweep_id[-6:]} (created {when}, {driver.progress_line(summary)})"


def milestone(summary: SweepSummary) -> tuple[str, str, int]:
    """What changes the page's results: the sweep, its status and how many trials ended."""
    ended = sum(row.status in ENDED for row in summary.trials)
    return summary.sweep.id, summary.sweep.status, ended


def cancel(sweep_id: str) -> None:
    """Ask the sweep's driver to stop its queued and running trials."""
    driver.cancel(engine.workspace(), sweep_id)


def stop_driver(sweep_id: str) -> None:
    """End the process of the sweep's driver that has not answered its cancel, close the sweep and ask its
    trials to stop (:func:`tlcore.runs.driver.cancel` with ``force``); a :class:`TLError` says why not."""
    driver.cancel(engine.workspace(), sweep_id, force=True)


def stop_outliving_driver(sweep_id: str) -> str | None:
    """End the process of the ended sweep's driver that outlives it, the sweep kept as it is; the line
    saying so, None where it had ended (:func:`tlcore.runs.driver.stop_outliving_driver`)."""
    return driver.stop_outliving_driver(engine.workspace(), sweep_id)


def resume(sweep_id: str) -> None:
    """Run the ended sweep's unfinished trials with a new background driver; its Ray cluster, if it
    names one, is checked first (as :func:`launch` does)."""
    check_cluster(store().get(sweep_id).executor)
    driver.resume(engine.workspace(), sweep_id)
    driver.launch(engine.workspace(), sweep_id)


def label(record: SweepRecord, pair: tuple[str, str]) -> str:
    """A sweep as one line of plain text: when, what, how it stands, the end of its id; a sweep of another
    pair than ``pair`` (the sidebar's) with its pair last, each spec cut where long
    (:func:`~tlcore.views.run_names.pair_label`, as Predict's picker names another pair's run). With its
    pair before its status, a long pair cut every option at 1024 px and hid its status and id."""
    when = time.strftime(CREATED, time.localtime(record.created))
    methods = ", ".join("+".join(methods) for methods in record.spec.compositions)
    pair_end = "" if pair_of(record) == pair else f" · {run_names.pair_label(*pair_of(record))}"
    return f"{when} · {methods} · {record.status} · {record.id[-6:]}{pair_end}"


def pair_of(record: SweepRecord) -> tuple[str, str]:
    """The sweep's ``(source spec, target spec)``."""
    return record.spec.source, record.spec.target


def labels(by_id: Mapping[str, SweepRecord]) -> dict[str, str]:
    """``{sweep id: label}`` of the picker's sweeps, named beside the sidebar's pair (:func:`label`)."""
    return {sweep_id: label(record, state.pair()) for sweep_id, record in by_id.items()}


def picker_help(records: Iterable[SweepRecord]) -> str:
    """The picker's help (plain text): what a label says, the sidebar's pair whole, and each pair of
    ``records`` that :func:`label` cuts, whole (:func:`~tlcore.views.run_names.pairs_help`)."""
    source, target = state.pair()
    others = [pair_of(record) for record in records if pair_of(record) != (source, target)]
    return (
        "Each sweep: when it was created, its compositions, its status and the end of its id. Sweeps of "
        f"the sidebar's pair ({source} → {target}) are named without it; another pair's sweep with its "
        f"pair, last.{run_names.pairs_help(others)}"
    )
