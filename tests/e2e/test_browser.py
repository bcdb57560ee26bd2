"""The newcomer's flow in a real headless Chromium: every page, an upload, runs, a comparison.

Drives ``streamlit run app.py`` (the package's shared server: nothing here needs an empty workspace) with
Playwright's sync API and the system Chromium (never ``playwright install``), fails on any
``stException`` or JavaScript dialog, and keeps a screenshot of each page in ``test-results/`` (the
README's screenshots come from ``scripts/screenshots.py``, which walks the real demo).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.app.helpers import EVIL, digits_zip, npz_bytes
from tests.e2e.harness import (
    assert_no_exception,
    fill,
    launch_chromium,
    screenshot,
    settle,
    upload,
    visit,
    wait_for_done,
)
from tlcore.adapt.recipe import RECOMMENDED

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SOURCE = "mnist5k:n=800"


SHOTS = Path(os.environ.get("TLSTUDIO_E2E_SHOTS", "test-results"))


def check_and_shoot(page, name: str) -> None:
    """No exception box on the page; a whole-page screenshot kept with the test's files."""
    assert_no_exception(page)
    screenshot(page, SHOTS / f"{name}.png")


def walk_data(page, tmp_path: Path) -> None:
    """Data: an upload with a hostile class name (shown as text), then a zip of real digits."""
    evil = tmp_path / "evil.npz"
    evil.write_bytes(npz_bytes(["0", EVIL], 12))
    scans = tmp_path / "scans.zip"
    scans.write_bytes(digits_zip((0, 1, 2), 20))
    visit(page, "Data")
    upload(page, evil, "target")
    page.get_by_text(EVIL, exact=False).first.wait_for()
    upload(page, scans, "target")
    page.get_by_role("tab", name="Datasets and shifts").click()
    page.locator('[data-testid="stImage"]').first.wait_for()
    check_and_shoot(page, "data")


def walk_diagnose(page) -> None:
    """Diagnose: the gap cards, then a lasso around the whole UMAP shows the selected samples."""
    visit(page, "Diagnose")
    page.get_by_text("Proxy A-distance", exact=True).wait_for()
    page.get_by_text("Most foreign target samples").wait_for()
    settle(page)  # a lasso drawn while the script still runs is lost when the chart re-renders
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()  # the mouse draws in the viewport: the map may sit below it
    box = chart.bounding_box()
    left, top = box["x"] + 60, box["y"] + 70
    right, bottom = box["x"] + box["width"] - 30, box["y"] + box["height"] - 45
    page.mouse.move(left, top)
    page.mouse.down()
    for x, y in ((right, top), (right, bottom), (left, bottom), (left, top + 5)):
        page.mouse.move(x, y, steps=10)
    page.mouse.up()
    page.get_by_text("samples selected").wait_for()
    settle(page)
    check_and_shoot(page, "diagnose")


def walk_adapt(page) -> None:
    """Adapt: launch the form as it starts (the recommended recipe) cut to one epoch of each stage and
    wait until one is done (separate runs per method: tests/app/test_pages.py)."""
    visit(page, "Adapt")
    fill(page, "Epochs", "1")
    fill(page, "Adapt epochs", "1")
    fill(page, "Learning rate", "0.003")
    page.get_by_role("button", name="Launch", exact=True).click()
    page.get_by_text(f"{'+'.join(RECOMMENDED.methods)} ·").first.wait_for()
    wait_for_done(page, timeout_s=300)
    page.get_by_text("Target accuracy").first.wait_for()
    settle(page)
    check_and_shoot(page, "adapt")


def walk_sweep(page) -> None:
    """Sweep: a network the pair's images do not fit is refused at launch, in the form's box, and
    nothing is launched."""
    visit(page, "Sweep")
    networks = page.locator('input[aria-label="Networks"]')
    networks.click()
    networks.fill("mlp")
    page.get_by_role("option", name="mlp", exact=True).click()
    page.keyboard.press("Escape")
    settle(page)
    page.get_by_role("button", name="Launch the sweep").click()
    settle(page)
    refusal = page.locator('[data-testid="stAlert"]').filter(
        has_text="model 'mlp' needs feature vectors (D,)"
    )
    refusal.wait_for()
    page.get_by_text("No sweeps yet").wait_for()
    check_and_shoot(page, "sweep")


def test_newcomer_flow(shared_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only this test needs it

    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(90_000)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(shared_server)
        page.get_by_role("heading", name="tlstudio").wait_for()
        settle(page)
        check_and_shoot(page, "home")
        fill(page, "Source (learn from)", SOURCE)

        walk_data(page, tmp_path)

        walk_diagnose(page)

        walk_adapt(page)

        visit(page, "Compare")
        page.get_by_text("After adaptation").first.wait_for()
        page.get_by_text("Before: source-only model").first.wait_for()
        page.get_by_text("Where the predictions moved, without target labels").wait_for()
        page.get_by_text(re.compile(r"of \d+ target predictions \(")).first.wait_for()
        with page.expect_download() as download:
            page.get_by_role("button", name="Report (HTML)").click()
        assert "Where the predictions of" in Path(download.value.path()).read_text(encoding="utf-8")
        check_and_shoot(page, "compare")

        walk_sweep(page)
        browser.close()
    assert not dialogs, f"a page ran injected script: {dialogs}"
