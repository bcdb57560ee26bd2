"""Four browser sessions on one server at once: browsing, uploading and launching runs.

One ``streamlit run`` (the package's shared server: the runs and uploads checked are the ones this
test made) serves four headless Chromium pages, each in its own browser context (its own cookies, so
its own Streamlit session). One session saves an upload, another only chooses a file in the
uploader: that file must never reach the workspace or another session's pickers. Each session then
launches one tiny run from the Adapt page; with one run slot (``TLSTUDIO_MAX_RUNNING=1``, the shared
server's) the runs queue for it (a run lasts longer than the launches are apart, so some must wait;
with two slots a tiny run could end before the next launch, and nothing waited). Every run must
complete and the run index stay a consistent WAL database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, image_zip, npz_bytes
from tests.e2e.harness import (
    SHARED_SLOTS,
    assert_no_exception,
    badges,
    choose_file,
    failure_boxes,
    fill,
    go_to,
    launch_chromium,
    settle_all,
    type_into,
    upload,
)
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.methods import get_method
from tlcore.runs.record import RunRecord
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SESSIONS = 4
SLOTS = SHARED_SLOTS
PRIVATE = "private-scans.zip"


def on_each(pages: list[Any], action: Callable[[Any], object]) -> None:
    """``action`` on every page, then wait for all of them: the sessions work at the same time."""
    for page in pages:
        action(page)
    settle_all(pages)


def open_sessions(browser: Any, url: str) -> list[Any]:
    """One browser context (so one Streamlit session) per page, all on the small pair."""
    pages = [browser.new_context(viewport={"width": 1200, "height": 800}).new_page() for _ in range(SESSIONS)]
    for page in pages:
        page.set_default_timeout(90_000)
        page.goto(url)
    on_each(pages, lambda page: page.get_by_role("heading", name="tlstudio").wait_for())

    def small_pair(page: Any) -> None:
        type_into(page, "Source (learn from)", SMALL_SOURCE)
        type_into(page, "Target (adapt to)", SMALL_TARGET)

    on_each(pages, small_pair)
    return pages


def dataset_options(page: Any) -> list[str]:
    """Data page: the choices of the source role's dataset picker."""
    page.get_by_role("tab", name="Datasets and shifts").click()
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Dataset").first.click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def clear_methods(page: Any) -> None:
    """Adapt page: empty the methods picker with its clear button."""
    picker = page.locator('[data-testid="stMultiSelect"]').filter(
        has=page.locator('input[aria-label="Methods"]')
    )
    picker.get_by_role("button", name="Clear all").click()


def pick_source_only(page: Any) -> None:
    """Adapt page: add source_only to the methods picker."""
    picker = page.locator('input[aria-label="Methods"]')
    picker.click()  # scrolls it into view and opens its menu (filling alone may not, at the fold)
    picker.fill("source_only")
    page.get_by_role("option", name="source_only · baseline").click()
    page.keyboard.press("Escape")


def prepare_runs(pages: list[Any]) -> None:
    """Adapt page: one source-only run of one epoch (model auto: LeNet with BatchNorm), a seed per session."""
    on_each(pages, lambda page: go_to(page, "Adapt"))
    chips = [f"Remove {method} · {get_method(method).family}" for method in RECOMMENDED.methods]
    for page in pages:  # the picker starts at the recommended recipe's methods
        assert all(page.get_by_role("button", name=chip).is_visible() for chip in chips)
    on_each(pages, clear_methods)  # one rerun per session, not one per chip removed
    on_each(pages, pick_source_only)  # settled: a rerun still rendering shows a stale Epochs field too
    on_each(pages, lambda page: type_into(page, "Epochs", "1"))
    # a seed each: four launches of one config would be held as repeats of the first (its box asks)
    on_each(pages, lambda page: type_into(page, "Seed", str(pages.index(page))))
    for i, page in enumerate(pages):  # a rerun still rendering redrew an old value: typed again
        for label, value in (("Epochs", "1"), ("Seed", str(i))):
            if page.locator(f'input[aria-label="{label}"]').input_value() != value:
                fill(page, label, value)


def new_runs(store: RunStore, before: set[str]) -> list[RunRecord]:
    """The workspace's runs but those in ``before`` (other tests' runs on the shared server)."""
    return [r for r in store.list() if r.id not in before]


def wait_for_launches(store: RunStore, before: set[str], timeout_s: float = 120) -> None:
    """Until every session's launch has made its run. A page that moves on before the server began the
    launch's script run loses the click (the navigation's run replaces it); a quiet second on each
    page does not prove the run began on a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while len(new_runs(store, before)) < SESSIONS:
        assert time.monotonic() < deadline, f"{len(new_runs(store, before))} of {SESSIONS} runs launched"
        time.sleep(0.1)


def follow_runs(
    store: RunStore, before: set[str], stop: threading.Event, timeout_s: float = 420
) -> tuple[int, set[str]]:
    """Poll until no new run is active: the most runs (of the whole workspace) seen running at once,
    the waiting messages seen.

    Started before the launches, in a thread, so it sees the whole queue: polled only after the
    pages moved on, it missed the waits of runs that had already started (a red CI run).
    """
    most_running, waiting = 0, set()
    deadline = time.monotonic() + timeout_s
    while not stop.is_set():
        store.mark_stale()  # a worker that died shows as interrupted, not as running forever
        most_running = max(most_running, sum(r.status == "running" for r in store.list()))
        records = new_runs(store, before)
        waiting |= {r.message for r in records if r.status == "queued" and r.message}
        if len(records) == SESSIONS and not any(r.active for r in records):
            return most_running, waiting
        assert time.monotonic() < deadline, [(r.status, r.message) for r in records]
        time.sleep(0.25)
    return most_running, waiting


def test_four_sessions_browse_upload_and_run_at_once(
    shared_server: str, shared_workspace: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only the browser tests need it

    store = RunStore(Workspace.resolve(shared_workspace))
    before, uploads = {r.id for r in store.list()}, set(store.workspace.uploads.iterdir())
    shared, private = tmp_path / "shared.npz", tmp_path / PRIVATE
    shared.write_bytes(npz_bytes(["0", "1"], 12))
    private.write_bytes(image_zip())
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        pages = open_sessions(browser, shared_server)
        saver, chooser, *_ = pages

        on_each([saver], lambda page: go_to(page, "Data"))
        upload(saver, shared, "target")
        fill(saver, "Target (adapt to)", SMALL_TARGET)
        on_each(pages[1:], lambda page: go_to(page, "Data"))
        choose_file(chooser, private)
        for page in pages:
            options = dataset_options(page)
            assert "upload:shared.npz" in options  # a saved upload reaches every session
            assert not [o for o in options if "private" in o], options
        assert all(PRIVATE not in page.content() for page in pages if page is not chooser)

        prepare_runs(pages)
        stop = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            followed = pool.submit(follow_runs, store, before, stop)
            try:
                on_each(pages, lambda page: page.get_by_role("button", name="Launch", exact=True).click())
                wait_for_launches(store, before)
                on_each(pages, lambda page: go_to(page, "Compare"))  # browse while the runs queue and train
            except BaseException:
                stop.set()  # the poller ends with the test instead of polling on for minutes
                raise
            most_running, waiting = followed.result()

        on_each(pages, lambda page: go_to(page, "Adapt"))
        for page in pages:
            badges(page, "done").nth(SESSIONS - 1).wait_for()
            assert_no_exception(page)
            errors = failure_boxes(page)
            assert errors.count() == 0, errors.first.inner_text()
        assert all(PRIVATE not in page.content() for page in pages if page is not chooser)
        browser.close()

    records = new_runs(store, before)
    assert [(r.status, r.error, r.method) for r in records] == [("done", "", "source_only")] * SESSIONS
    assert {(r.source, r.target, r.config["epochs"]) for r in records} == {(SMALL_SOURCE, SMALL_TARGET, 1)}
    assert sorted(r.config["seed"] for r in records) == list(range(SESSIONS))
    assert most_running <= SLOTS
    assert any(m.startswith("waiting for a free slot") for m in waiting), waiting
    assert [p.name for p in set(store.workspace.uploads.iterdir()) - uploads] == ["shared.npz"]
    with closing(sqlite3.connect(store.workspace.index_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    print(f"4 sessions, {SESSIONS} runs, {SLOTS} slots: {time.monotonic() - started:.0f} s")
