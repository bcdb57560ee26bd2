"""Texts a walk at 1024 px found missing or cut: Compare says when no alarm is raised (as ``runs rank``
does), an Adapt card's title of a long composition wraps at its "+"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain
from tests.app.test_ranking_ui import SOURCE, TARGET, Y, store_run
from tests.selection.helpers import probabilities
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
NO_ALARM = "Negative-transfer alarms: none raised."


def test_compare_says_no_alarm_is_raised_in_the_clis_words(app: OpenApp, workspace: Path) -> None:
    """QA: with no alarm the page said nothing, so "no alarm" read like "alarms not computed"."""
    store = RunStore(Workspace.resolve(workspace))
    store_run(store, ("deep_coral", "im"), probabilities(Y, 0.9))
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    assert NO_ALARM in [plain(c.value) for c in at.caption]
    assert not [e for e in at.error if "suspected" in plain(e.value)]
    store_run(store, ("dann",), probabilities(np.zeros(30, dtype=int), 0.95))  # a collapsed run: flagged
    at = app("compare", source=SOURCE, target=TARGET)
    assert NO_ALARM not in [plain(c.value) for c in at.caption]
    assert [e for e in at.error if "suspected" in plain(e.value)]


def test_an_adapt_cards_title_wraps_at_each_plus(app: OpenApp, workspace: Path) -> None:
    """QA at 1024 px: "deep_coral+im+fixmatch+shot_pl+adabn" broke mid-word ("fixmatc h+shot_pl");
    a ``<wbr>`` after each "+" lets it wrap there, and no character is put in the title (QA: a zero-width
    space there was copied with it)."""
    run_id = store_run(
        RunStore(Workspace.resolve(workspace)), ("deep_coral", "im", "fixmatch"), probabilities(Y, 0.9)
    )
    at = app("adapt", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    (title,) = [m for m in at.markdown if m.value.startswith("**deep\\_coral\\+")]  # the card's
    assert title.value == f"**deep\\_coral\\+<wbr>im\\+<wbr>fixmatch · {run_id[-6:]}**"
    assert title.allow_html and "\u200b" not in title.value
