"""Shared by the browser tests: serve the app on a free port, launch the system Chromium, drive pages.

:func:`serve` starts ``streamlit run app.py`` (with the repository's ``.streamlit/config.toml``)
on a free localhost port with its own workspace; :func:`launch_chromium` starts Debian's Chromium
through Playwright's sync API (never ``playwright install``). The page helpers wait for Streamlit's
script runs to finish and their pages to be drawn, so tests read settled pages.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from bench.app_start import CHROMIUM as CHROMIUM_PATH
from bench.app_start import CHROMIUM_ARGS, free_port
from tests.worker_start import record_worker_start

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TLSTUDIO_CHROMIUM", CHROMIUM_PATH)
# Streamlit marks its app element with the script run's state as the server reports it, at once (its
# status widget shows only once a run has lasted 500 ms): a page is idle while it says notRunning.
IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
# A finished script run is not a drawn page: a chart or a table whose code is still loading is a grey
# placeholder (stSkeleton) until it is. On first loads of Compare (two busy cores) settling on IDLE alone
# returned with 10 to 19 placeholders and no chart drawn, 2 to 5 s before they were (helper-256).
MAIN_ELEMENT = '[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]'
DRAWN = f"""() => document.querySelector('{IDLE}') !== null
    && document.querySelector('{MAIN_ELEMENT}') !== null
    && document.querySelector('[data-testid="stSkeleton"]') === null"""
QUIET_S = 0.5  # idle this long (the server's answer to a click or a typed value has come) = settled
SHARED_SLOTS = 1  # run slots of the package's shared server: four sessions' launches queue for one


@contextlib.contextmanager
def serve(workspace: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """The app served on a free port with ``workspace`` (plus ``env``); yields its URL."""
    record_worker_start(workspace)
    port = free_port()
    log = (workspace / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
        cwd=ROOT,
        env={**os.environ, "TLSTUDIO_WORKSPACE": str(workspace), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy; see {workspace / 'streamlit.log'}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def launch_chromium(playwright: Any) -> Any:
    """The system Chromium, headless, through Playwright; fails clearly when it is missing."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install the Debian package chromium (make test does)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))


def open_app(browser: Any, url: str, **options: Any) -> Any:
    """A new 1400 x 1000 page of the app at ``url`` (``options``: Playwright's page options, e.g.
    ``accept_downloads``), its home drawn, waiting up to 120 s for an element."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, **options)
    page.set_default_timeout(120_000)
    page.goto(url)
    page.get_by_role("heading", name="tlstudio").wait_for()
    settle(page)
    return page


def settle(page: Any, timeout_s: float = 120) -> None:
    """Wait until the script run finished and the page is drawn (:func:`settle_all`)."""
    settle_all([page], timeout_s)


def settle_all(pages: Sequence[Any], timeout_s: float = 120) -> None:
    """Wait until each page's script run finished and its elements are drawn (:data:`DRAWN`: idle, the
    main block holding an element, no placeholder left) for ``QUIET_S``.

    The pages are watched together, so several sessions settle in the time of the slowest (one after
    the other, each cost its own quiet moment). A page counts as settled from its first quiet moment
    on: a self-refreshing fragment (the Adapt page's runs panel) must not keep every page waiting for
    one moment in which all of them are idle at once.
    """
    deadline = time.monotonic() + timeout_s
    quiet_since: dict[int, float | None] = dict.fromkeys(range(len(pages)))
    while quiet_since and time.monotonic() < deadline:
        for i in list(quiet_since):
            if not pages[i].evaluate(DRAWN):
                quiet_since[i] = None
            elif quiet_since[i] is None:
                quiet_since[i] = time.monotonic()
            elif time.monotonic() - quiet_since[i] > QUIET_S:
                del quiet_since[i]
        if quiet_since:
            pages[0].wait_for_timeout(100)
    if quiet_since:
        raise AssertionError("the app kept running, or its page undrawn, for too long")


def go_to(page: Any, title: str) -> None:
    """Open a page from the sidebar navigation, up to its title (its script may still run)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).first.wait_for()


def visit(page: Any, title: str) -> None:
    """Open a page from the sidebar navigation and wait for it to render."""
    go_to(page, title)
    settle(page)


def type_into(page: Any, label: str, value: str) -> None:
    """Type into the text or number input labelled ``label`` and commit it (the rerun may still run)."""
    field = page.locator(f'input[aria-label="{label}"]')
    field.fill(value)
    field.press("Enter")


def fill(page: Any, label: str, value: str, tries: int = 3) -> None:
    """Type into the text or number input labelled ``label``, commit it and wait for the rerun.

    A rerun that was still rendering when the value was typed can redraw the widget with its old
    value; the value is typed again until the settled page shows it.
    """
    field = page.locator(f'input[aria-label="{label}"]')
    for _ in range(tries):
        type_into(page, label, value)
        settle(page)
        if field.input_value() == value:
            return
    raise AssertionError(f"{label!r} shows {field.input_value()!r}, not {value!r}")


def choose_file(page: Any, path: Path) -> None:
    """Data page: put ``path`` in the uploader (this session only; nothing is saved yet)."""
    page.get_by_role("tab", name="Upload your own").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text(path.name).first.wait_for()
    settle(page)


def upload(page: Any, path: Path, role: str) -> None:
    """Data page: choose ``path`` and save it to the workspace as the ``role`` domain."""
    choose_file(page, path)
    page.get_by_role("button", name=f"Use as {role}").click()
    page.get_by_text("Saved to the workspace").wait_for()
    settle(page)


def assert_no_exception(page: Any) -> None:
    """No Streamlit exception box on the page."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


RELAYOUT_MS = 1500
CHARTS_FIT = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .every(plot => plot._fullLayout && Math.abs(plot._fullLayout.width - plot.clientWidth) < 1)"""
IMAGES_LOADED = "() => Array.from(document.images).every(img => img.complete && img.naturalWidth > 0)"
CONTENT_HEIGHT = """() => Math.max(...['stMain', 'stAppViewContainer', 'stMainBlockContainer']
    .map(id => document.querySelector(`[data-testid="${id}"]`)).filter(Boolean).map(el => el.scrollHeight))"""


def screenshot(page: Any, path: Path) -> None:
    """Save the whole page (viewport grown to the content's height) once its images have loaded and its
    charts have re-laid out to the grown viewport (at most ``RELAYOUT_MS`` for them)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: PLC0415 - browser tests only

    page.wait_for_function(IMAGES_LOADED)
    size = page.viewport_size
    height = page.evaluate(CONTENT_HEIGHT)
    if height > size["height"]:  # a page that fits keeps its size: nothing to re-layout
        page.set_viewport_size({"width": size["width"], "height": height})
        with contextlib.suppress(PlaywrightTimeoutError):  # a chart of a fixed width never matches
            page.wait_for_function(CHARTS_FIT, timeout=RELAYOUT_MS)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def failure_boxes(page: Any) -> Any:
    """The page's error boxes that report a failure (a negative-transfer alarm is a finding, not one)."""
    return page.locator('[data-testid="stAlertContentError"]').filter(
        has_not_text="Negative transfer suspected"
    )


def badges(page: Any, *statuses: str) -> Any:
    """Adapt page: the status badges of the runs' cards that read one of ``statuses``."""
    return page.locator(".stMarkdownBadge", has_text=re.compile(f"^({'|'.join(statuses)})$"))


def wait_for_done(page: Any, timeout_s: float) -> None:
    """Adapt page: wait until a run's card reads done (its badge), failing at once on a failure box or an
    interrupted run (its reason a warning, not red) (the runs panel refreshes itself: no reload needed)."""
    stopped = failure_boxes(page).or_(badges(page, "interrupted"))
    badges(page, "done").first.or_(stopped).first.wait_for(timeout=timeout_s * 1000)
    warnings = page.locator('[data-testid="stAlertContentWarning"]')
    assert stopped.count() == 0, [stopped.first.inner_text(), *warnings.all_inner_texts()]
