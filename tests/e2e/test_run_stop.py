"""A running run stopped from its card in a real Chromium: the Adapt page's Cancel on a long source-only
run, and the card and the run's record read cancelled. On the package's shared server: the pair (its own
``n=``) is this test's alone."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.e2e.harness import assert_no_exception, fill, launch_chromium, settle
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SOURCE, TARGET = "mnist5k:n=140", "digits:n=140"
EPOCHS = "200"  # minutes of training: still running when Cancel is pressed


def test_cancel_on_a_running_runs_card_stops_it(shared_server: str, shared_workspace: Path) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only the browser tests need it

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        page.set_default_timeout(90_000)
        # the pair in the link, as share_pair writes it
        page.goto(f"{shared_server}/adapt?{urlencode({'source': SOURCE, 'target': TARGET})}")
        page.get_by_role("heading", name="Adapt", exact=True).wait_for()
        settle(page)
        methods = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Methods").first
        methods.get_by_role("button", name="Clear all").click()
        settle(page)
        methods.locator("input").fill("source_only")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        settle(page)
        fill(page, "Epochs", EPOCHS)
        page.get_by_role("button", name="Launch", exact=True).click()
        page.get_by_text("running", exact=True).wait_for()  # its card, the pair's one run (redrawn every 2 s)
        page.get_by_role("button", name="Cancel", exact=True).click()
        page.get_by_text("cancelled", exact=True).first.wait_for()
        settle(page)
        assert_no_exception(page)
        browser.close()
    (record,) = RunStore(Workspace.resolve(shared_workspace)).list(source=SOURCE, target=TARGET)
    assert record.status == "cancelled" and record.cancel_requested
