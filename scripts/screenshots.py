"""Take the README's screenshots from the real demo: ``make screenshots`` (``python -m scripts.screenshots``).

Serves the app on a free localhost port with a fresh workspace, presses **Start the demo** on Home
(mnist5k -> digits), walks Data and Diagnose, launches the recommended recipe with its own budget on
Adapt, waits for it to finish (a few minutes on 2 cores), shoots Compare, then labels 60 unlabelled
scans with that run on Predict, writing one PNG per page to ``docs/screenshots/``. Uses the
browser-test harness (Playwright + Debian's Chromium).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.app.helpers import loose_digits_zip
from tests.e2e.harness import (
    ROOT,
    assert_no_exception,
    failure_boxes,
    launch_chromium,
    screenshot,
    serve,
    settle,
    upload,
    visit,
)

OUT = ROOT / "docs" / "screenshots"
RUN_TIMEOUT_S = 1800


def shoot(page: object, name: str) -> None:
    assert_no_exception(page)
    screenshot(page, OUT / f"{name}.png")
    print(f"wrote {OUT / f'{name}.png'}")


def main() -> int:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - test tools, not an app dependency

    with tempfile.TemporaryDirectory() as root, serve(Path(root)) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(180_000)
        page.goto(url)
        page.get_by_role("heading", name="tlstudio").wait_for()
        settle(page)
        shoot(page, "home")
        page.get_by_role("button", name="Start the demo").click()
        page.get_by_text("Proxy A-distance", exact=True).wait_for()
        page.get_by_text("Most foreign target samples").wait_for()
        settle(page)
        shoot(page, "diagnose")
        visit(page, "Data")
        page.locator('[data-testid="stImage"]').first.wait_for()
        shoot(page, "data")
        visit(page, "Adapt")
        page.get_by_role("button", name="Launch the recommended recipe").click()
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while page.get_by_text("finished", exact=True).count() < 1:
            errors = failure_boxes(page)
            if errors.count():
                raise SystemExit(f"the run failed: {errors.first.inner_text()}")
            if time.monotonic() > deadline:
                raise SystemExit("the recommended recipe did not finish in time")
            page.wait_for_timeout(2000)
        page.get_by_text("Target accuracy").first.wait_for()
        settle(page)
        shoot(page, "adapt")
        visit(page, "Compare")
        page.get_by_text("After adaptation").first.wait_for()
        settle(page)
        shoot(page, "compare")
        scans = Path(root) / "scans.zip"  # your own files: 60 unlabelled scans of handwritten digits
        scans.write_bytes(loose_digits_zip(60))
        visit(page, "Data")
        upload(page, scans, "target")
        visit(page, "Predict")
        page.get_by_role("button", name="Predict every sample").click()
        page.get_by_role("button", name="Predictions, one row per sample").wait_for()
        settle(page)
        shoot(page, "predict")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
