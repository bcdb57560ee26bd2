"""What a page's numbers are, read in the order a user reads them (QA helper-58 in a real browser).

The verdict before the gap's cards; a run's curve ending at the final model the card scores; each
accuracy named with what it is measured on; captions that say a thing once and only when it applies.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_support import diagnosis
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, assert_clean
from tests.app.test_ranking_ui import SOURCE as RANKED_SOURCE
from tests.app.test_ranking_ui import TARGET as RANKED_TARGET
from tests.app.test_ranking_ui import pool  # noqa: F401  (a fixture: two stored runs of one pair)
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.data import save_upload
from tlcore.events import ProgressEvent
from tlcore.runs.store import RunStore
from tlcore.views import compare, curves, run_tables
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]


def page_order(node: Any) -> Iterator[tuple[str, str]]:
    """``(element type, its text or label)`` of every element under ``node``, top to bottom."""
    children = getattr(node, "children", None)
    if children is None:
        yield node.type, str(getattr(node, "label", None) or getattr(node, "value", ""))
        return
    for key in sorted(children):
        yield from page_order(children[key])


def plain(text: str) -> str:
    """Markdown text as a reader sees it (escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


def test_diagnose_reads_the_verdict_before_the_gaps_cards(app: OpenApp) -> None:
    """README: the verdict (what differs, what to do) first, the MMD²/p/CORAL/A-distance cards after."""
    at = app("diagnose", source="mnist5k:n=120", target="digits:n=120")
    assert_clean(at)
    order = list(page_order(at.main))
    verdict = next(i for i, (kind, text) in enumerate(order) if kind == "markdown" and "Verdict" in text)
    cards = next(i for i, (kind, text) in enumerate(order) if kind == "metric" and text == "MMD²")
    assert verdict < cards
    assert ("subheader", "How big the gap is") in order[verdict:cards]


def test_diagnose_draws_the_umap_apart_from_the_gap_with_the_clis_coordinates(
    app: OpenApp, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gap report is measured without its UMAP (about a third of a first load), so the page lays
    out the findings first and fills the map in last; its points are ``diagnose --json``'s."""
    source, target = "mnist5k:n=120", "digits:n=120"
    at = app("diagnose", source=source, target=target)
    assert_clean(at)
    assert diagnosis.gap_report(source, target).value.umap is None
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("umap")]
    drawn = []
    for trace in json.loads(chart.proto.spec)["data"]:  # numbers as base64 typed arrays, as plotly sends
        x, y = (np.frombuffer(base64.b64decode(trace[a]["bdata"]), trace[a]["dtype"]) for a in "xy")
        drawn += map(tuple, np.round(np.stack([x, y], 1).astype(np.float32), 4).tolist())  # as --json
    drawn.sort()
    argv = ["--workspace", str(workspace), "diagnose", "--source", source, "--target", target]
    assert main([*argv, "--json", "--no-explain"]) == 0  # the page's defaults are diagnose's
    payload = json.loads(capsys.readouterr().out)
    assert payload["from_cache"]["umap"] is not None  # the page's entry: one key
    printed = sorted(map(tuple, payload["umap"]["source"] + payload["umap"]["target"]))
    assert len(drawn) == 240 and drawn == printed  # rounded to 4 places as --json rounds them


def test_an_all_blank_target_shows_no_note_on_shares_it_does_not_show(app: OpenApp, workspace: Path) -> None:
    np.savez(workspace.parent / "blank.npz", X=np.zeros((24, 1, 28, 28), dtype=np.float32))
    name = save_upload(
        Workspace.resolve(workspace), "blank.npz", (workspace.parent / "blank.npz").read_bytes()
    )
    at = app("diagnose", source="mnist5k:n=120", target=f"upload:{name}")
    assert_clean(at)
    markdown = [m.value for m in at.markdown]
    assert any("Every target image is blank" in m for m in markdown), markdown
    assert at.dataframe[0].value["fix"].eq("").all()  # blank images: no fix, so no fix effects
    assert not [c.value for c in at.caption if c.value.startswith(("Shares of the gap", "Fix effects"))]


def _done_run(root: Path, result: dict[str, Any]) -> str:
    """A done run with a baseline and an adapt epoch and ``result`` stored."""
    store = RunStore(Workspace.resolve(root))
    run_id = store.create(AdaptConfig(source=SMALL_SOURCE, target=SMALL_TARGET, methods=("adabn",)))
    assert store.start(run_id, pid=os.getpid())
    for stage, accuracy in (("baseline", 0.677), ("adapt", 0.624)):
        metrics = {"loss": 1.0, "source_accuracy": 0.92, "target_accuracy": accuracy}
        store.record_event(run_id, ProgressEvent("epoch", stage, 0.5, epoch=1, metrics=metrics), index=False)
    assert store.finish(run_id, result)
    return run_id


RESULT = {  # run e4cf4d's numbers: AdaBN moved the target accuracy from 62.4% to 69.1%
    "target_accuracy": 0.691,
    "source_only_accuracy": 0.677,
    "source_accuracy": 0.923,
    "info": {"n_target_test": 359, "transforms": {"adabn": {"layers": 3}}},
}


def test_the_curve_ends_at_the_final_model_the_card_scores(app: OpenApp, workspace: Path) -> None:
    """The last epoch's model scored 62.4%; AdaBN's final model 69.1% (the card): the chart shows both,
    the final one as its own marked point from the run's stored result."""
    run_id = _done_run(workspace, RESULT)
    at = app("adapt")
    assert_clean(at)
    (card,) = at.metric
    assert card.label == "Target accuracy" and card.value == "69.1%"  # the whole label fits at 1000 px
    assert card.help.startswith("Target accuracy (test split, 359 samples): scored on")
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"curves_{run_id}")]
    traces = {t["name"]: t for t in json.loads(chart.proto.spec)["data"]}
    assert traces["target accuracy"]["y"] == [0.677, 0.624]  # the epochs, joined
    final = traces["target accuracy · final model (after adabn)"]
    assert final["y"] == [0.691] and final["x"] == [2.0] and final["marker"]["symbol"] == "star"
    assert traces["source accuracy · final model (after adabn)"]["y"] == [0.923]


def test_curve_rows_end_with_the_final_models_scores_only_when_given() -> None:
    events = [{"stage": "adapt", "metrics": {"epoch": 1, "target_accuracy": 0.624}}]
    assert run_tables.curve_rows(events)[-1]["stage"] == "adapt"
    final = run_tables.curve_rows(events, RESULT)[-1]
    assert final == {
        "source_accuracy": 0.923,
        "target_accuracy": 0.691,
        "epoch": 1.0,
        "stage": curves.FINAL_STAGE,
        "label": "final model (after adabn)",
    }
    assert run_tables.curve_rows(events, {"target_accuracy": 0.7})[-1]["label"] == "final model"
    assert compare.target_accuracy_label({}) == "Target accuracy (test split)"


def test_predict_names_the_samples_its_accuracy_is_measured_on(
    app: OpenApp, trained_run: Callable[[AdaptConfig], str]
) -> None:
    trained_run(
        AdaptConfig(source="mnist5k:n=120", target="digits:n=120", methods=("source_only",), epochs=1)
    )
    at = app("predict", source="mnist5k:n=120", target="digits:n=120")
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert_clean(at)
    captions = [plain(c.value) for c in at.caption]
    (accuracy,) = [
        c for c in captions if c.startswith("Accuracy on all 120 labelled samples of digits:n=120: ")
    ]
    assert " of 120, 95% CI " in accuracy, accuracy  # the count and interval behind it


def test_a_target_read_without_its_labels_says_so_once_and_the_balance_names_the_source(
    app: OpenApp,
) -> None:
    table = "f1,f2,label\n" + "".join(f"{i % 3},{i / 7:.3f},{'ab'[i % 2]}\n" for i in range(20))
    at = app("data")
    at.file_uploader(key="upload_file").upload("src.csv", table.encode(), "text/csv")
    at.button[[b.label for b in at.button].index("Use as source")].click().run()
    at.file_uploader(key="upload_file").upload("tgt.csv", table.encode(), "text/csv")
    at.text_input(key="upload_label").input("none")
    at.button[[b.label for b in at.button].index("Use as target")].click().run()
    assert_clean(at)
    (provenance,) = [plain(c.value) for c in at.caption if plain(c.value).startswith("upload:tgt.csv")]
    assert provenance.endswith("labels from column 'label'; labels ignored (label=none)"), provenance
    (balance,) = [
        json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id.endswith("class_balance")
    ]
    assert [t["name"] for t in balance["data"]] == ["source"] and balance["layout"]["showlegend"] is True


def test_compare_shows_the_deciding_columns_first(app: OpenApp, pool: dict[str, str]) -> None:  # noqa: F811
    """At 1400 px the ranking table cut off ESS and the target accuracy, at 1280 px the effective classes,
    the source accuracy and the alarm: the table shows the deciding columns alone, "All ranking columns"
    adds the other validators with ESS and the alarm's reasons (in full below) last. The target accuracies and
    whether the alarm was right are a table of their own under it (beside them, 1024 px cut the table:
    tests/app/test_ranking_fit.py)."""
    at = app("compare", source=RANKED_SOURCE, target=RANKED_TARGET)
    assert_clean(at)
    order = list(at.dataframe[0].proto.column_order)
    # the ranking's score: BNM, in EnsV's place (the two runs' ensemble, the collapsed one left out, is
    # outvoted: 1 adapted model, 1 source-only model)
    deciding = ["rank", "run", "status", "BNM", "classes", "source acc"]
    assert order == deciding
    hindsight = ["run", "target accuracy", "source-only accuracy", "alarm right?"]
    assert list(at.dataframe[1].proto.column_order) == hindsight
    assert at.dataframe[0].value["status"].tolist().count("alarm") == 1  # the flagged run said so
    next(t for t in at.toggle if t.label == "All ranking columns").set_value(True).run()
    order = list(at.dataframe[0].proto.column_order)
    assert order[:6] == deciding and not set(hindsight[1:]) & set(order)
    assert order[-1] == "alarm" and order[order.index("IWCV") + 1] == "ESS"
    assert list(at.dataframe[1].proto.column_order) == hindsight
    at.selectbox[0].set_value("im").run()
    assert list(at.dataframe[0].proto.column_order)[3] == "IM"
