"""A mixed pool's kept source-only model on Compare and Predict (app_support/kept_model.py): the command
and a Make it a run button that launches it (QA helper-109: an app-only user had to open a terminal)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import engine
from tests.app.test_ranking_ui import Y, store_run
from tests.selection.helpers import probabilities
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

COMMAND = "python -m tlcore adapt --source a --target b --method source_only --epochs 1"


def _page() -> None:
    from types import SimpleNamespace  # noqa: PLC0415 - AppTest runs this body as the page's script

    from app_support import kept_model  # noqa: PLC0415 - AppTest runs this body as the page's script

    kept_model.offer(SimpleNamespace(kept="20261206-025156-d668eb", setup=""), "make_kept")


def _setup_page(kept: str) -> None:
    from types import SimpleNamespace  # noqa: PLC0415 - AppTest runs this body as the page's script

    from app_support import kept_model  # noqa: PLC0415 - AppTest runs this body as the page's script

    kept_model.offer(SimpleNamespace(kept=kept, setup="model=cnn"), "make_kept")


def test_the_button_launches_the_kept_model_and_says_which_run(monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[str] = []
    monkeypatch.setattr(engine, "kept_run_command", lambda ranked: COMMAND)
    monkeypatch.setattr(engine, "launch_kept", lambda ranked: launched.append(ranked.kept) or ["run-9"])
    app = AppTest.from_function(_page).run()
    assert [c.value for c in app.code] == [COMMAND] and not launched  # shown, nothing started
    app.button(key="make_kept").click().run()
    assert launched == ["20261206-025156-d668eb"]
    assert app.success[0].value.replace("\\", "").startswith("Launched run run-9:")  # markdown-escaped
    app.run()  # QA helper-117: a second click made a second run of the same kept model
    assert launched == ["20261206-025156-d668eb"] and not app.button
    assert app.success[0].value.replace("\\", "").startswith("Launched run run-9:")  # still said


def test_nothing_is_offered_when_no_model_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "kept_run_command", lambda ranked: None)
    app = AppTest.from_function(_page).run()
    assert not app.code and not app.button and not app.caption


def test_a_setups_kept_model_is_named_with_its_setup(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    """In a pool of several setups (Compare offers one per setup, the Sweep page one per setup without a
    recommended configuration) "that model" named no model: the caption says which, its run named as
    Compare's tables name it (it read the run's id beside a table of labels)."""
    monkeypatch.setattr(engine, "kept_run_command", lambda ranked: COMMAND)
    plain = AppTest.from_function(_page).run()
    assert plain.caption[0].value.startswith("To label data with that model or export it")
    methods = ("deep_coral", "im", "fixmatch", "shot_pl", "adabn")
    kept = store_run(RunStore(Workspace.resolve(workspace)), methods, probabilities(Y, 0.9))
    app = AppTest.from_function(_setup_page, kwargs={"kept": kept}).run()
    said = app.caption[0].value.replace("\\", "")
    named = f"deep_coral+… · {kept[-6:]}"  # its label cut as in the tables, the id's end kept
    assert said.startswith(
        f"To label data with the source-only model of run {named} (model=cnn) or export it"
    )
