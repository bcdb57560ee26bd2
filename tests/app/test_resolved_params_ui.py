"""A run built with method parameters today's defaults resolve otherwise says so on its Adapt card and
on Compare, in the words ``runs show`` uses (QA: a deep_coral run trained before the 2026-12-04 default
change read exactly like one trained after)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.helpers import assert_clean, plain
from tests.app.test_ranking_ui import SOURCE, TARGET, Y, store_run
from tests.runs.stored_params import set_resolved
from tests.selection.helpers import probabilities
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
OLDER = {
    "deep_coral": {"weight": 1.0, "layer": "features"},
    "im": {"weight": 1.0, "diversity": 1.0, "ramp": True},
}
SAID = "trained with deep_coral.layer=features (today's defaults: logits); a repeat today may differ"


def _older_and_today(workspace: Path) -> tuple[str, str]:
    store = RunStore(Workspace.resolve(workspace))
    older = store_run(store, ("deep_coral", "im"), probabilities(Y, 0.9))
    today = store_run(store, ("deep_coral", "im"), probabilities(Y, 0.8))
    set_resolved(store, older, OLDER)
    return older, today


def test_the_adapt_card_names_the_parameters_built_under_older_defaults(
    app: OpenApp, workspace: Path
) -> None:
    _older_and_today(workspace)
    at = app("adapt", source=SOURCE, target=TARGET)
    assert_clean(at)
    captions = [plain(c.value) for c in at.caption]
    assert captions.count(f"{SAID[0].upper()}{SAID[1:]}.") == 1  # the older run's card only


def test_compare_names_the_run_built_under_older_defaults(app: OpenApp, workspace: Path) -> None:
    older, _ = _older_and_today(workspace)
    at = app("compare", source=SOURCE, target=TARGET)
    assert_clean(at)
    captions = [plain(c.value) for c in at.caption]
    said = f"deep_coral+im · {older[-6:]}: trained with deep_coral.layer=features (today's defaults: logits)."
    assert [c for c in captions if "today's defaults" in c] == [said]
