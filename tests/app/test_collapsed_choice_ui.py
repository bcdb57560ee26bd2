"""Compare and its report recommend the run that spreads its predictions over a source-only run that
predicts one class on the target (rule 4's order, :mod:`tlcore.selection.collapse`, under EnsV; in this
pool of two, whose ensemble is outvoted, BNM's)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain
from tests.app.test_escaping import deferred_downloads
from tests.app.test_ranking_ui import SOURCE, TARGET, Y, store_run
from tests.selection.helpers import probabilities
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
ONE = probabilities(np.full(30, 2), 0.99)  # every target sample class 2: 1.0 effective class of 3


def test_compare_recommends_the_run_that_spreads_its_predictions(
    app: OpenApp, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RunStore(Workspace.resolve(workspace))
    store_run(store, ("source_only",), ONE, before=ONE)
    spread = store_run(store, ("deep_coral", "im"), probabilities(Y, 0.7), before=ONE)
    downloads = deferred_downloads(monkeypatch)
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    (recommended,) = at.success  # was the source-only run, with the collapse caveat
    said = plain(recommended.value)
    # EnsV's ensemble holds ONE and the spread model: outvoted, so ranked by BNM, under which the
    # spread run goes first without rule 4: 30 rows, 10 per class, of singular values 1.0, 0.55, 0.55
    # (nuclear norm sqrt(10) * 2.1 = 6.64, over 30: 0.221) against ONE's one row (sqrt(30) * 0.990 / 30)
    assert said.startswith(
        f"Recommended: deep_coral+im · {spread[-6:]}, the highest BNM (0.221) among the 2 of 2"
    )
    assert "ranked so because" not in said
    assert not [w for w in at.warning if "effective classes of 3 on the target" in plain(w.value)]
    assert at.dataframe[0].value["status"].tolist() == ["recommended", "passes"]
    report = downloads["tlstudio-report.html"]()
    assert f"Recommended: deep_coral+im · {spread[-6:]}, the highest BNM (0.221)" in report


def test_keeping_a_collapsed_source_only_model_is_said_in_one_box(app: OpenApp, workspace: Path) -> None:
    """QA helper-246: "Keep the source-only model: ..." and, in a box under it, "keeping it is no safe
    fallback" read as a contradiction: the recommendation says both, and no box repeats it."""
    store = RunStore(Workspace.resolve(workspace))
    store_run(store, ("dann",), ONE, before=ONE, source_before=0.95, source_after=0.5)
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    (kept,) = [w for w in at.warning if plain(w.value).startswith("Keep the source-only model")]
    assert plain(kept.value) == (
        "Keep the source-only model: the one run did not pass the guardrails: it lost source accuracy; that "
        "model is collapsed, though: it predicts 1.0 effective class of 3 on the target, so label a few "
        "target samples per class and check it on them before using it."
    )
    said = [plain(e.value) for e in [*at.warning, *at.caption, *at.info, *at.error]]
    assert not [s for s in said if "effective classes of 3 on the target" in s or "no safe fallback" in s]
