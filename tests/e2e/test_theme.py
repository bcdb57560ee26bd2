"""The app follows the browser's colour scheme, and the menu's Light / Dark choice, charts included.

A browser that prefers dark gets a dark page with light text and a dark Plotly chart (Streamlit's
chart theme, on the Data page's class balance); picking Light in the menu turns both light. Colours
are read from the rendered page (computed styles), so the test fails while the config pins a theme.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.app.helpers import contrast, luminance
from tests.e2e.harness import assert_no_exception, launch_chromium, settle, visit

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHART = '[data-testid="stPlotlyChart"] svg.main-svg'
# The app's background, its text, a chart's paper and its tick labels, as computed CSS colours.
COLOURS = f"""() => {{
    const app = getComputedStyle(document.querySelector('[data-testid="stApp"]'));
    const paper = document.querySelector('{CHART}');
    const tick = paper.parentElement.querySelector('.xtick text');
    return {{
        background: app.backgroundColor,
        text: getComputedStyle(document.querySelector('h1')).color,
        chart: getComputedStyle(paper).backgroundColor,
        ticks: getComputedStyle(tick).fill,
    }};
}}"""


CHART_REPAINTED = f"dark => getComputedStyle(document.querySelector('{CHART}')).backgroundColor !== dark"


def assert_theme(page: Any, dark: bool) -> None:
    """The app's and the chart's backgrounds are dark (or light), with text readable on them."""
    seen = page.evaluate(COLOURS)
    for background in ("background", "chart"):
        assert (luminance(seen[background]) < 0.1) if dark else (luminance(seen[background]) > 0.8), seen
    assert contrast(seen["text"], seen["background"]) > 7, seen
    assert contrast(seen["ticks"], seen["chart"]) > 3, seen


@pytest.fixture(scope="module")
def browser(shared_server: str) -> Iterator[tuple[Any, str]]:
    """The app (the package's shared server) and the system Chromium."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - test tools only

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium, shared_server
        chromium.close()


def test_a_dark_browser_gets_a_dark_app_and_the_menu_switches_it_to_light(browser: tuple[Any, str]) -> None:
    chromium, url = browser
    context = chromium.new_context(color_scheme="dark", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.get_by_role("heading", name="tlstudio").wait_for()
    visit(page, "Data")
    page.locator(CHART).first.wait_for()
    assert_no_exception(page)
    assert_theme(page, dark=True)

    dark_chart = page.evaluate(COLOURS)["chart"]
    page.get_by_test_id("stMainMenu").click()
    page.get_by_test_id("stMainMenuItem-theme-Light").click()
    settle(page)
    page.wait_for_function(CHART_REPAINTED, arg=dark_chart)  # the chart redraws in the new theme
    assert_theme(page, dark=False)
    context.close()
