"""Compare's and the report's other parts name runs as the ranking table does (helper-238 listed them):
the shared-samples and negative-transfer lines, the gap chart's legend, the per-run rows of a crowded
chart, the confusion matrix's title and the report's runs table and headings read ``deep_coral+… ·
8d23a5``, not the whole composition, which the charts and the table keep on the hover."""

from __future__ import annotations

import re

from tests.app.test_compare import result
from tests.selection.test_changes import CLASSES, FIRST, SECOND
from tlcore.runs.changes import RunChanges
from tlcore.selection.changes import prediction_changes
from tlcore.selection.predictions import TargetFingerprint
from tlcore.views import chart_text, compare, gaps
from tlcore.views.overlap_lines import inflated_line, unchecked_line

RUN = "20261207-101010-8d23a5"
LONG = "deep_coral+im+fixmatch+shot_pl+adabn · 8d23a5"
CUT = "deep_coral+… · 8d23a5"
SHARED = {"shared_test": 35, "n_test": 40, "by": "ids", "fix": None, "copies": None, "shared": None}


def test_the_shared_samples_and_negative_transfer_lines_name_the_run_as_the_table() -> None:
    scored = {"config": {"source": "mnist5k", "target": "mnist5k"}, "target_accuracy": 0.9}
    scored |= {"source_only_accuracy": 0.95, "shared_samples": SHARED | {"target_labelled": True}}
    assert inflated_line({LONG: scored}, {RUN: LONG}) == (
        f"Target accuracy reads too high for {CUT} (run {RUN}: 35 of its 40 target test samples are source "
        "training samples): its target test split holds samples its model trained on; to score transfer, "
        "take the target from other data."
    )
    older = {"config": {"source": "mnist5k:n=100", "target": "mnist5k:n=50"}}
    assert unchecked_line({LONG: older}, {RUN: LONG}).startswith(
        f"Not checked for shared samples: {CUT} (run {RUN}), stored by an older tlstudio"
    )
    assert compare.negative_transfer_line(LONG, scored) == (
        f"Negative transfer: {CUT} is less accurate on the target than the source-only model, fell 5.0 "
        "points (paired test not stored by this older run)."
    )


def test_the_gap_legend_and_a_crowded_charts_rows_read_the_cut_label_whole_on_hover() -> None:
    before, after = {LONG: {"mmd": 0.2}, "dann · 4a2f96": {"mmd": 0.3}}, {LONG: {"mmd": 0.1}}
    fig = gaps.metrics_before_after(before, after | {"dann · 4a2f96": {"mmd": 0.2}})
    legend = [t.name for t in fig.data if t.x == (None,)]
    assert legend == ["before (each run's own)", CUT, "dann · 4a2f96"]
    assert {t.customdata[0] for t in fig.data if t.customdata is not None} == {LONG}  # whole on hover
    axis, _ = chart_text.run_rows([LONG, "dann · 4a2f96"])
    assert axis["ticktext"] == [CUT, "dann · 4a2f96"] and axis["tickvals"] == [LONG, "dann · 4a2f96"]


def test_the_reports_moved_predictions_name_the_run_as_its_ranking_table() -> None:
    run = RunChanges(RUN, None, prediction_changes(FIRST, SECOND, CLASSES), TargetFingerprint(6, "x"))
    page = compare.comparison_report({LONG: result(0.8, 0.6)}, labels={RUN: LONG}, moved=[(run, None)])
    assert f"Where the predictions of {CUT} moved" in page
    assert f"changed class from {CUT}&#x27;s source-only model to its adapted model." in page


def test_the_reports_runs_table_and_headings_name_the_run_as_its_ranking_table() -> None:
    page = compare.comparison_report({LONG: result(0.8, 0.6)}, labels={RUN: LONG})
    assert re.findall(r"<h2>([^<]*) of ([^<]*)</h2>", page) == [("UMAP", CUT), ("Confusion matrix", CUT)]
    assert f"<td title='{LONG}'>{CUT}</td>" in page  # the runs table's cell, whole on hover
    assert compare.confusion_figure(LONG, result(0.8, 0.6)).layout.title.text == f"Confusion: {CUT}"
