"""QA on the Adapt page: a source-only run's card read "15.2%, +0.0 pts vs source-only", its accuracy
against itself; it now shows the accuracy alone, and an adapted run's card keeps its change. The epoch
fields' help says which training each counts; a flagged run's alarm spans the card."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from app_support import engine
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, plain
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.views import compare
from tlcore.workspace import Workspace


def test_a_source_only_card_shows_its_accuracy_without_a_change_against_itself(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    store = RunStore(Workspace.resolve(workspace))
    for methods, target in ((("source_only",), 12 / 79), (("deep_coral",), 41 / 79)):
        run_id = store.create(AdaptConfig(SMALL_SOURCE, SMALL_TARGET, methods, epochs=2))
        assert store.start(run_id, pid=os.getpid())
        assert store.finish(run_id, {"target_accuracy": target, "source_only_accuracy": 12 / 79})
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    cards = sorted((m.value, m.proto.delta) for m in at.metric if m.label == "Target accuracy")
    assert cards == [("15.2%", ""), ("51.9%", "+36.7 pts vs source-only")]


def test_an_unlabelled_targets_done_card_says_where_its_runs_are_judged(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    """Audit helper-275: a done card of an unlabelled target showed no accuracy and said nothing of it,
    so nothing on Adapt told whether adapting helped or where to find out; a labelled one's says nothing."""
    store = RunStore(Workspace.resolve(workspace))
    for target, accuracy in ((SMALL_TARGET, None), ("digits:n=80", 41 / 79)):
        run_id = store.create(AdaptConfig(SMALL_SOURCE, target, ("deep_coral",), epochs=2))
        assert store.start(run_id, pid=os.getpid())
        assert store.finish(run_id, {"target_accuracy": accuracy, "source_only_accuracy": accuracy})
    said = [plain(c.value) for c in app("adapt").caption if "Compare ranks" in plain(c.value)]
    assert said == [compare.UNLABELLED_CARD]  # the sidebar's pair: the unlabelled one
    labelled = [plain(c.value) for c in app("adapt", target="digits:n=80").caption]
    assert compare.UNLABELLED_CARD not in labelled


def test_a_done_card_says_done_once_on_its_badge_its_bar_full_without_words(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    """The card read "done" on its badge and "finished" on its bar: two words for the one state the
    engine (and the CLI: "done run") calls done."""
    store = RunStore(Workspace.resolve(workspace))
    run_id = store.create(AdaptConfig(SMALL_SOURCE, SMALL_TARGET, ("deep_coral",), epochs=2))
    assert store.start(run_id, pid=os.getpid())
    assert store.finish(run_id, {"target_accuracy": 41 / 79, "source_only_accuracy": 12 / 79})
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    assert [(bar.value, bar.text) for bar in at.get("progress")] == [(100, "")]
    assert [m.value for m in at.markdown if "badge[" in m.value] == [":green-badge[done]"]


def test_the_epoch_fields_say_which_training_they_count(app: Callable[..., AppTest]) -> None:
    """QA: "Adapt epochs (0: as Epochs)" had the help "the adapt stage's", and Epochs none; the label's
    "(0: as Epochs)" ran into its help icon at 1024 px (QA) and is the help's end now."""
    at = app("adapt")
    helps = {n.label: n.help for n in at.number_input if n.label in ("Epochs", "Adapt epochs")}
    assert helps == {
        "Epochs": "epochs of the source-only model and, unless the adapt epochs (or a recipe) set them, of "
        "the adapt stage",
        "Adapt epochs": "epochs of the adapt stage: the training with the target that follows "
        "the source-only model's; 0: as many as Epochs",
    }


def holders(block: Block, value: str) -> list[Block]:
    """The blocks that hold, as a direct child, a warning or error that reads ``value``."""
    found = []
    for child in block.children.values():
        if isinstance(child, Block):
            found += holders(child, value)
        elif child.type in ("warning", "error") and value in plain(child.value):
            found.append(block)
    return found


def test_a_flagged_runs_alarm_spans_the_card_under_its_columns(
    app: Callable[..., AppTest], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA at 1024 px: the alarm, some 400 characters, sat in the card's narrow left column, 40 lines
    of two or three words each."""
    store = RunStore(Workspace.resolve(workspace))
    run_id = store.create(AdaptConfig(SMALL_SOURCE, SMALL_TARGET, ("deep_coral",), epochs=2))
    assert store.start(run_id, pid=os.getpid())
    assert store.finish(run_id, {"target_accuracy": 41 / 79, "source_only_accuracy": 12 / 79})
    line = "Negative transfer suspected for deep_coral: source accuracy fell 8.3 points"
    monkeypatch.setattr(engine, "alarms", lambda records: {r.id: (line, True) for r in records})
    at = app("adapt")
    assert not at.exception, [e.message for e in at.exception]
    (card,) = holders(at.main, line)
    assert card.proto.flex_container.border  # the run's bordered card itself, under its columns
    assert [m.value for m in card.get("metric")] == ["51.9%"]


# characters of a stage field's label that fit on one line at 1024 px: its column leaves the text 105 px
# before the help icon (Chromium, Source Sans 14 px); "Stop when settled" (17, 105.1 px) wrapped to two
# lines and pushed its input below the row's others, "Weight average" (14) measured 89.5 px
STAGE_LABEL_CHARS = 15


def test_the_stage_fields_are_short_and_say_what_0_means_in_their_help(app: Callable[..., AppTest]) -> None:
    """QA at 1024 px: "Steps per epoch (0: a pass over the larger domain)" wrapped to three lines and ran
    into its help icon; each label is its name now, on one line, what 0 means ends its help."""
    at = app("adapt")
    fields = {"Adapt epochs", "Steps per epoch", "Weight average", "Stop if settled"}
    helps = {n.label: n.help for n in at.number_input if n.label in fields}
    assert set(helps) == fields
    assert {label: help_text.rsplit("; ", 1)[-1] for label, help_text in helps.items()} == {
        "Adapt epochs": "0: as many as Epochs",
        "Steps per epoch": "0: a pass over the larger domain",
        "Weight average": "0: off",
        "Stop if settled": "0: off",
    }
    assert max(map(len, helps)) <= STAGE_LABEL_CHARS
