"""The shared-samples box's buttons act on the pair they were drawn for: a click that comes with an
edit of the sidebar's pair (one browser message: the field's new value and the click) writes nothing
for a pair no longer shown, and *Use* sets the pair it dropped the copies from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.test_drop_copies_ui import SAVE, copied_tables

OpenApp = Callable[..., AppTest]


def test_a_save_sent_with_a_new_target_writes_nothing_unseen(app: OpenApp, workspace: Path) -> None:
    at = app("data", *copied_tables(workspace))
    target = next(t for t in at.sidebar.text_input if t.label == "Target (adapt to)")
    target.set_value("upload:sensors.csv")
    next(b for b in at.button if b.label == SAVE).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["pair_target"] == "upload:sensors.csv"
    assert sorted(p.name for p in (workspace / "uploads").glob("*.csv")) == ["later.csv", "sensors.csv"]


def test_use_sent_with_a_new_source_leaves_the_target(app: OpenApp, workspace: Path) -> None:
    at = app("data", *copied_tables(workspace))
    next(b for b in at.button if b.label == SAVE).click().run()
    use = next(b for b in at.button if b.label == "Use upload:later-no-copies.csv as the target")
    next(t for t in at.sidebar.text_input if t.label == "Source (learn from)").set_value("upload:later.csv")
    use.click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert (at.session_state["pair_source"], at.session_state["pair_target"]) == (
        "upload:later.csv",
        "upload:later.csv",
    )
