""":func:`~tests.e2e.harness.settle_all`, the wait every browser test reads its pages after: its polling
without a browser (fake pages whose drawn state follows a fake clock that their waits advance), and the
predicate it polls, :data:`~tests.e2e.harness.DRAWN`, in Chromium on static pages (no app server)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e import harness
from tests.e2e.harness import DRAWN, QUIET_S, launch_chromium, settle, settle_all

POLL_S = 0.1  # settle_all's wait between looks


class Clock:
    """A monotonic clock that moves only when a page waits, in whole milliseconds (no float drift)."""

    def __init__(self) -> None:
        self.ms = 0

    def monotonic(self) -> float:
        return self.ms / 1000


class FakePage:
    """A page whose :data:`DRAWN` reads ``drawn(now)``; its ``wait_for_timeout`` moves the clock."""

    def __init__(self, clock: Clock, drawn: Callable[[float], bool]) -> None:
        self.clock, self.drawn = clock, drawn

    def evaluate(self, expression: str) -> bool:
        assert expression == DRAWN
        return self.drawn(self.clock.monotonic())

    def wait_for_timeout(self, ms: float) -> None:
        self.clock.ms += round(ms)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The harness's clock, faked."""
    fake = Clock()
    monkeypatch.setattr(harness, "time", fake)
    return fake


def test_settle_returns_once_the_page_has_been_drawn_for_the_quiet_time(clock: Clock) -> None:
    settle(FakePage(clock, lambda now: now >= 1.0))
    assert 1.0 + QUIET_S <= clock.monotonic() <= 1.0 + QUIET_S + 2 * POLL_S


def test_a_page_busy_again_starts_its_quiet_time_over(clock: Clock) -> None:
    """Drawn, then rerunning from 0.3 s to 0.5 s (a click's answer), then drawn for good."""
    settle(FakePage(clock, lambda now: not 0.3 <= now < 0.5))
    assert 0.5 + QUIET_S <= clock.monotonic() <= 0.5 + QUIET_S + 2 * POLL_S


def test_a_page_never_drawn_fails_after_the_timeout(clock: Clock) -> None:
    with pytest.raises(AssertionError, match="kept running, or its page undrawn"):
        settle(FakePage(clock, lambda now: False), timeout_s=3)
    assert 3 <= clock.monotonic() <= 3 + 2 * POLL_S


def test_pages_settle_each_from_their_own_quiet_time_not_all_at_once(clock: Clock) -> None:
    """A page whose fragment reruns for good once it settled (the Adapt page's live runs panel) does not
    keep the others waiting for a moment in which every page is idle at once."""
    refreshing = FakePage(clock, lambda now: now < 1.0)
    late = FakePage(clock, lambda now: now >= 2.0)
    settle_all([refreshing, late], timeout_s=5)
    assert 2.0 + QUIET_S <= clock.monotonic() <= 2.0 + QUIET_S + 2 * POLL_S


def app_page(
    script: str = "notRunning", connection: str = "CONNECTED", elements: int = 1, skeleton: bool = False
) -> str:
    """A static page with Streamlit's app element as the server marks it, ``elements`` elements in its
    main block and, with ``skeleton``, a chart's loading placeholder."""
    drawn = '<div data-testid="stElementContainer">text</div>' * elements
    placeholder = '<div data-testid="stSkeleton"></div>' if skeleton else ""
    return (
        f'<div data-testid="stApp" data-test-connection-state="{connection}" '
        f'data-test-script-state="{script}">'
        f'<div data-testid="stMainBlockContainer">{drawn}{placeholder}</div></div>'
    )


@pytest.mark.e2e
def test_drawn_means_idle_connected_with_an_element_and_no_placeholder() -> None:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only the browser tests need it

    pages = {
        "drawn": app_page(),
        "running": app_page(script="running"),
        "reconnecting": app_page(connection="DISCONNECTED_ERROR"),
        "empty": app_page(elements=0),
        "placeholder": app_page(skeleton=True),
    }
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        seen = {}
        for name, html in pages.items():
            page.set_content(html)
            seen[name] = page.evaluate(DRAWN)
        browser.close()
    assert seen == {
        "drawn": True,
        "running": False,
        "reconnecting": False,
        "empty": False,
        "placeholder": False,
    }
