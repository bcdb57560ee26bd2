"""A user's own unlabelled data in a real Chromium: upload a zip of loose scans, launch the
recommended recipe, see the label-free ranking, download the predictions: one row per file. On the
package's shared server: the pair (a source of its own, this upload) is this test's alone."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.app.helpers import loose_digits_zip
from tests.e2e.harness import (
    assert_no_exception,
    fill,
    launch_chromium,
    open_app,
    screenshot,
    settle,
    upload,
    visit,
    wait_for_done,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
FILES = 30


def test_an_unlabelled_zip_gets_one_prediction_per_file(shared_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only the browser tests need it

    scans = tmp_path / "loose-scans.zip"  # not the newcomer's scans.zip
    scans.write_bytes(loose_digits_zip(FILES))
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = open_app(browser, shared_server, accept_downloads=True)
        fill(page, "Source (learn from)", "mnist5k:n=150")  # a small source: the recipe's own budget
        visit(page, "Data")
        upload(page, scans, "target")
        visit(page, "Adapt")
        page.get_by_role("button", name="Launch the recommended recipe").click()
        wait_for_done(page, timeout_s=600)
        visit(page, "Compare")
        page.get_by_text("Which run to keep, without target labels").wait_for()
        assert_no_exception(page)
        visit(page, "Predict")
        page.get_by_role("button", name="Predict every sample").click()
        button = page.get_by_role("button", name="Predictions, one row per sample")
        button.wait_for()
        settle(page)
        assert_no_exception(page)
        screenshot(page, Path("test-results") / "own-data-predict.png")
        with page.expect_download() as download:
            button.click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        browser.close()
    assert sorted(row["id"] for row in rows) == [f"scans/scan_{i:02d}.png" for i in range(FILES)]
    assert {"predicted", "confidence", "entropy", "top1", "p1"} <= set(rows[0])
