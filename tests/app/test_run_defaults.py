"""Which run a page shows unasked: Predict preselects the run the ranking recommends (the one
`runs rank` names), Compare hands its recommendation to Predict, and Compare never shows another
pair's run as if it were the sidebar's (runs constructed, no training)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import pair_field, plain
from tests.app.test_ranking_ui import COLLAPSED, GOOD, SOURCE, TARGET, store_run, with_models
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


@pytest.fixture
def runs(workspace: Path) -> dict[str, str]:
    """The pair's good run, then a newer collapsed one, both listed as having a model."""
    store = RunStore(Workspace.resolve(workspace))
    made = {
        "good": store_run(store, ("deep_coral", "im"), GOOD),
        "collapsed": store_run(store, ("dann",), COLLAPSED),
    }
    with_models(store, made.values())
    return made


def test_predict_preselects_the_run_runs_rank_recommends_not_the_newest(
    app: OpenApp, workspace: Path, runs: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The QA case: Predict defaulted to the pair's newest run (here the collapsed one), and its
    export took that model; the recommended run is preselected and marked so."""
    capsys.readouterr()
    assert (
        main(
            ["--workspace", str(workspace), "runs", "rank", "--source", SOURCE, "--target", TARGET, "--json"]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["recommended"] == runs["good"]
    at = app("predict", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    picker = at.selectbox[0]
    assert picker.value == runs["good"]
    assert picker.options[picker.index] == f"deep_coral+im · {runs['good'][-6:]} (recommended)"  # the pair's
    assert not [o for o in picker.options if "(recommended)" in o and runs["good"][-6:] not in o]
    # said under the picker too: at 1024 px the picker cuts its label before "(recommended)"
    said = f"Compare recommends this run for {SOURCE} → {TARGET}."
    assert said in [plain(c.value) for c in at.caption]
    at.selectbox[0].set_value(runs["collapsed"]).run()  # the user's choice stays
    assert said not in [plain(c.value) for c in at.caption]
    at.button[[b.label for b in at.button].index("Export the model")].click().run()
    assert at.selectbox[0].value == runs["collapsed"]
    assert at.session_state["export_request"][0] == runs["collapsed"]


def test_without_a_recommendation_predict_takes_the_pairs_newest_run(app: OpenApp, workspace: Path) -> None:
    """One collapsed run: the ranking keeps the source-only model, so the newest run is preselected."""
    store = RunStore(Workspace.resolve(workspace))
    old = store_run(store, ("dann",), COLLAPSED, target="digits:n=100")
    new = store_run(store, ("dann",), COLLAPSED)
    with_models(store, (old, new))
    at = app("predict", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox[0].value == new and not [o for o in at.selectbox[0].options if "(recommended)" in o]


def test_compares_recommendation_opens_predict_with_that_run(app: OpenApp, runs: dict[str, str]) -> None:
    at = app("compare", source=SOURCE, target=TARGET)
    assert plain(at.success[0].value).startswith(f"Recommended: deep_coral+im · {runs['good'][-6:]}")
    (go,) = [b for b in at.button if b.label.startswith("Label data with")]
    assert go.label == f"Label data with deep_coral+im · {runs['good'][-6:]} on Predict"
    at.selectbox[0].set_value("im").run()  # another validator, the same recommendation here
    next(b for b in at.button if b.label.startswith("Label data with")).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Predict" and at.selectbox[0].value == runs["good"]
    assert (at.session_state["pair_source"], at.session_state["pair_target"]) == (SOURCE, TARGET)
    pair_field(at).set_value("digits:n=300").run()  # another pair: the request ends
    assert "predict_run" not in at.session_state


def test_compare_shows_no_run_of_another_pair_unasked(
    app: OpenApp, workspace: Path, runs: dict[str, str]
) -> None:
    """The QA case: the sidebar's (newly fixed) pair had no done run and Compare showed the
    other pair's run, its numbers read as this pair's; now nothing is chosen and the page says so."""
    fixed = f"{TARGET},contrast=2"
    at = app("compare", source=SOURCE, target=fixed)
    assert not at.exception, [e.message for e in at.exception]
    assert next(m for m in at.multiselect if m.label == "Runs").value == []
    assert [plain(i.value) for i in at.info] == [
        f"No done run of {SOURCE} → {fixed} yet: launch one on the Adapt page, or choose runs of "
        "other pairs below."
    ]
    assert not at.get("plotly_chart")  # no chart of another pair's runs
    runs_box = next(m for m in at.multiselect if m.label == "Runs")
    runs_box.set_value([runs["good"]]).run()  # chosen on purpose: shown
    assert not at.exception and at.get("plotly_chart")


def test_compare_counts_the_pairs_runs_that_did_not_finish(
    app: OpenApp, workspace: Path, runs: dict[str, str]
) -> None:
    """QA helper-254, a returning user: the pair's run had failed and Compare only said to launch one."""
    fixed = f"{TARGET},contrast=2"
    store = RunStore(Workspace.resolve(workspace))
    for status in ("failed", "cancelled", "failed"):
        run_id = store.create(AdaptConfig(SOURCE, fixed, ("dann",)))
        assert store.end(run_id, status, f"{status} in the test")
    at = app("compare", source=SOURCE, target=fixed)
    assert not at.exception, [e.message for e in at.exception]
    assert [plain(i.value) for i in at.info] == [
        f"No done run of {SOURCE} → {fixed} yet (2 failed, 1 cancelled: the Adapt page shows each): "
        "launch one on the Adapt page, or choose runs of other pairs below."
    ]


def test_a_pool_of_two_networks_offers_each_networks_run_on_predict(app: OpenApp, workspace: Path) -> None:
    """helper-136's pool of several setups had no single recommended run: Compare lost its "Label data
    with" button and Predict preselected the newest run (here a collapsed one)."""
    store = RunStore(Workspace.resolve(workspace))
    made = {
        "lenet": store_run(store, ("deep_coral",), GOOD, model="lenet_bn"),
        "cnn": store_run(store, ("deep_coral", "im"), GOOD, model="cnn"),
        "collapsed": store_run(store, ("dann",), COLLAPSED, model="cnn"),
    }
    with_models(store, made.values())
    at = app("compare", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    assert [b.label for b in at.button if b.label.startswith("Label data with")] == [
        f"Label data with deep_coral+im · {made['cnn'][-6:]} (model=cnn) on Predict",
        f"Label data with deep_coral · {made['lenet'][-6:]} (model=lenet_bn) on Predict",
    ]
    at = app("predict", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    picker = at.selectbox[0]
    assert picker.value == made["cnn"]  # the newest recommended run, not the collapsed newest
    assert [o for o in picker.options if "(recommended)" in o] == [
        picker.options[picker.index],
        next(o for o in picker.options if made["lenet"][-6:] in o),
    ]
