"""Adapt's launch buttons ask before repeating a run (QA helper-155: two clicks started two identical
runs without a word): an active repeat is a warning pointing at its card, a done one says its accuracy;
"Launch anyway", "Launch only the new runs" and "Don't launch" answer. The launches are captured."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import engine
from tests.app.helpers import click, plain
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.recipe import RECOMMENDED
from tlcore.runs.repeats import RepeatedError, identical_runs
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_the_recipe_launched_while_its_run_is_queued_asks_first(
    app: OpenApp, workspace: Path, launched: list[AdaptConfig]
) -> None:
    recipe = RECOMMENDED.config(SOURCE, TARGET)
    queued = RunStore(Workspace.resolve(workspace)).create(recipe)
    at = click(app("adapt", source=SOURCE, target=TARGET), "Launch the recommended recipe")
    assert launched == []
    assert [plain(w.value) for w in at.warning] == [
        f"Run {queued} is queued with this same config (every field, seed 0 included); its card is under "
        "Runs below."
    ]
    assert "Launch only the new run" not in " ".join(labels(at))  # every run of it is a repeat
    at.run()  # the question stays until answered
    assert len(at.warning) == 1
    click(at, "Launch anyway")
    assert launched == [recipe] and not at.warning and "Launch anyway" not in labels(at)


def test_the_form_repeating_a_done_run_says_its_accuracy_and_launches_only_the_new_one(
    app: OpenApp, workspace: Path, launched: list[AdaptConfig]
) -> None:
    at = app("adapt", source=SOURCE, target=TARGET)
    at.multiselect[0].set_value(["dann", "im"])
    next(t for t in at.toggle if t.label.startswith("Combine the selected methods")).set_value(False)
    click(at, "Launch")
    dann, im = launched
    store = RunStore(Workspace.resolve(workspace))
    done = store.create(dann)
    assert store.start(done, os.getpid())
    assert store.finish(done, {"target_accuracy": 0.8125, "source_only_accuracy": 0.5})
    launched.clear()
    click(at, "Launch")
    assert launched == [] and not [w for w in at.warning if "same config" in w.value]  # a done run: info
    assert [plain(i.value) for i in at.info if "same config" in i.value] == [
        f"dann: Run {done} (done, target accuracy 81.2%) had this same config (every field, seed 0 "
        "included): a repeat gives the same numbers on CPU; see it on Compare."
    ]
    click(at, "Launch only the new 1 run")
    assert launched == [im]
    click(at, "Launch")
    click(at, "Don't launch")
    assert launched == [im] and not [i for i in at.info if "same config" in i.value]


def test_the_recipe_launched_by_another_session_meanwhile_is_asked_about_not_launched_twice(
    app: OpenApp, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sessions press the button at once: both saw no repeat, the other's run is created first, and
    the engine, looking again as it creates this one, refuses it; the page asks as for any repeat."""
    store = RunStore(Workspace.resolve(workspace))
    other: list[str] = []

    def launch_after_the_other(batch: list[AdaptConfig], *, unless_repeated: bool = False) -> list[str]:
        other.append(store.create(batch[0]))  # the other session's run, created just before this one
        if unless_repeated:
            raise RepeatedError(identical_runs(store, batch[0]))
        return [store.create(config) for config in batch]

    monkeypatch.setattr(engine, "launch", launch_after_the_other)
    at = click(app("adapt", source=SOURCE, target=TARGET), "Launch the recommended recipe")
    assert [r.id for r in store.list()] == other and not at.error
    assert [plain(w.value) for w in at.warning] == [
        f"Run {other[0]} is queued with this same config (every field, seed 0 included); its card is under "
        "Runs below."
    ]
    assert "Launch anyway" in labels(at)
