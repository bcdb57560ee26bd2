"""Where predictions moved: the cross-table of two models' predicted classes, its flows and samples."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.app.test_compare import result
from tlcore.data.domain import Domain
from tlcore.errors import TLError
from tlcore.runs.changes import RunChanges
from tlcore.selection.changes import Flow, disagreement, prediction_changes
from tlcore.selection.predictions import TargetFingerprint
from tlcore.views.changes import (
    flow_columns,
    flow_label,
    flow_note,
    flow_rows,
    flow_table,
    headline,
    report_section,
)
from tlcore.views.compare import comparison_report

CLASSES = ("cat", "dog", "owl")


def probabilities(labels: list[int], confidence: list[float]) -> np.ndarray:
    """``confidence[n]`` on ``labels[n]``, the rest split evenly over the other two classes."""
    p = np.repeat(((1 - np.asarray(confidence)) / 2)[:, None], 3, axis=1)
    p[np.arange(len(labels)), labels] = confidence
    return p


FIRST = probabilities([0, 0, 1, 2, 2, 2], [0.9, 0.5, 0.8, 0.7, 0.6, 0.9])
SECOND = probabilities([0, 1, 1, 0, 2, 0], [0.9, 0.6, 0.9, 0.7, 0.8, 0.95])


def test_the_table_counts_first_class_by_second_class() -> None:
    changes = prediction_changes(FIRST, SECOND, CLASSES)
    # by hand: (0,0) (0,1) (1,1) (2,0) (2,2) (2,0)
    np.testing.assert_array_equal(changes.counts, [[1, 1, 0], [0, 1, 0], [2, 0, 1]])
    assert changes.n_samples == 6 and changes.changed == 3 and changes.share_changed == pytest.approx(0.5)
    # largest first; "owl -> cat" holds 2 of the 3 samples the first model called "owl"
    assert changes.flows() == [Flow(2, 0, 2, pytest.approx(2 / 3)), Flow(0, 1, 1, pytest.approx(1 / 2))]


def test_a_flows_samples_come_most_confident_first() -> None:
    changes = prediction_changes(FIRST, SECOND, CLASSES)
    owl_to_cat = changes.flows()[0]
    assert changes.samples(owl_to_cat).tolist() == [5, 3]  # the second model: 0.95, then 0.7
    tied = prediction_changes(FIRST, probabilities([1, 1, 1, 0, 0, 0], [0.6] * 6), CLASSES)
    assert tied.samples(Flow(2, 0, 3, 1.0)).tolist() == [3, 4, 5]  # ties keep sample order


def test_the_same_predictions_move_nothing() -> None:
    changes = prediction_changes(FIRST, FIRST, CLASSES)
    assert changes.changed == 0 and changes.flows() == []
    np.testing.assert_array_equal(changes.counts, np.diag([2, 1, 3]))


@pytest.mark.parametrize(
    ("second", "classes", "message"),
    [
        (SECOND[:5], CLASSES, "shapes"),
        (SECOND, ("cat", "dog"), "3 classes, but 2 class names"),
    ],
)
def test_mismatched_inputs_are_refused(second: np.ndarray, classes: tuple[str, ...], message: str) -> None:
    with pytest.raises(TLError, match=message):
        prediction_changes(FIRST, second, classes)


def test_the_views_name_the_classes_and_the_models() -> None:
    run = RunChanges("r1", None, prediction_changes(FIRST, SECOND, CLASSES), TargetFingerprint(6, "x"))
    assert headline(run, {"r1": "dann · 123456"}) == (
        "3 of 6 target predictions (50.0%) changed class from dann · 123456's source-only model to its "
        "adapted model."
    )
    assert flow_rows(run, top=1) == [
        {"from": "owl", "to": "cat", "samples": 2, "share of from": pytest.approx(2 / 3)}
    ]
    against = RunChanges("r1", "r2", run.changes, run.target)
    assert headline(against).endswith("changed class between r1 and r2.")
    payload = run.to_dict(samples_per_flow=1)
    assert payload["counts"] == [[1, 1, 0], [0, 1, 0], [2, 0, 1]]
    assert payload["flows"][0] == {
        "from": "owl",
        "to": "cat",
        "count": 2,
        "share": pytest.approx(2 / 3),
        "samples": [5],
    }
    assert run.covers(np.zeros((6, 1), dtype=np.float32)) is False


def test_the_report_shows_the_flows_and_their_samples_escaped() -> None:
    hostile = ("cat", "<b>dog</b>", "owl")
    run = RunChanges("r1", None, prediction_changes(FIRST, SECOND, hostile), TargetFingerprint(6, "x"))
    target = Domain("t", torch.rand(6, 1, 8, 8), None, hostile, ids=tuple(f"scan_{i}.png" for i in range(6)))
    section = report_section(run, target, {"r1": "dann · 123456"})
    assert section.heading == "Where the predictions of dann · 123456 moved"
    assert [caption for caption, _ in section.pictures] == [
        "owl → cat: 2 samples",
        "cat → <b>dog</b>: 1 sample",  # QA helper-126: "1 samples"
    ]
    assert all(png.startswith(b"\x89PNG") for _, png in section.pictures)
    assert flow_label(run, run.changes.flows()[0]) == "owl → cat: 2 samples"
    assert report_section(run, None).pictures == []  # the data no longer gives the samples
    page = comparison_report({"r1": result(0.8, 0.6)}, moved=[(run, target)])
    assert "Where the predictions of r1 moved" in page and "<b>dog</b>" not in page
    assert "cat → &lt;b&gt;dog&lt;/b&gt;: 1 sample" in page


def test_disagreement_counts_samples_not_classified_alike_by_every_model() -> None:
    # argmaxes: FIRST 0 0 1 2 2 2, SECOND 0 1 1 0 2 0, third 0 0 1 2 2 1: samples 1, 3, 5 differ
    third = probabilities([0, 0, 1, 2, 2, 1], [0.9] * 6)
    assert disagreement([FIRST, SECOND]) == pytest.approx(3 / 6)
    assert disagreement([FIRST, third]) == pytest.approx(1 / 6)
    assert disagreement([FIRST, SECOND, third]) == pytest.approx(3 / 6)
    assert disagreement([FIRST]) == 0.0 and disagreement([FIRST.argmax(1), SECOND.argmax(1)]) == 0.5


def table_run() -> tuple[RunChanges, Domain]:
    """A feature-vector target of 6 rows whose "owl -> cat" flow (rows 3 and 5) stands out in "b"."""
    X = torch.tensor(
        [[1.0, 0.0, 5.0], [2.0, 1.0, 5.0], [3.0, 0.0, 5.0], [4.0, 9.0, 6.0], [5.0, 1.0, 5.0], [6.0, 8.0, 4.0]]
    )
    target = Domain("t", X, None, CLASSES, meta={"columns": ("a", "<b>", "c")})
    return RunChanges(
        "r1", None, prediction_changes(FIRST, SECOND, CLASSES), TargetFingerprint(6, "x")
    ), target


def test_a_tables_flow_lists_its_rows_most_different_columns_first() -> None:
    run, target = table_run()
    owl_to_cat = run.changes.flows()[0]
    # rows 5, 3 against rows 0, 1, 2, 4, (mean - rest's mean) / rest's population std, by hand:
    # a: (5 - 2.75) / sqrt(2.1875) = 1.5213; <b>: (8.5 - 0.5) / 0.5 = 16; c: constant rest (std 1), 0
    assert flow_columns(run, target, owl_to_cat) == [
        ("<b>", pytest.approx(16.0)),
        ("a", pytest.approx(1.5213, abs=1e-4)),
        ("c", 0.0),
    ]
    assert flow_table(run, target, owl_to_cat) == [
        {"sample id": "5", "<b>": 8.0, "a": 6.0, "c": 4.0},  # most confident first
        {"sample id": "3", "<b>": 9.0, "a": 4.0, "c": 6.0},
    ]
    assert flow_table(run, target, owl_to_cat, count=1, columns=1) == [{"sample id": "5", "<b>": 8.0}]
    assert flow_note(run, target, owl_to_cat).endswith("standard deviations: <b> +16, a +1.52, c 0.")
    unnamed = Domain("t", target.X, None, CLASSES)
    assert [name for name, _ in flow_columns(run, unnamed, owl_to_cat)] == [
        "feature 1",
        "feature 0",
        "feature 2",
    ]


def test_a_flow_of_every_target_sample_keeps_the_tables_column_order() -> None:
    everything = prediction_changes(
        probabilities([0] * 6, [0.9] * 6), probabilities([1] * 6, [0.9] * 6), CLASSES
    )
    run, target = table_run()
    run = RunChanges("r1", None, everything, run.target)
    (flow,) = everything.flows()
    assert flow_columns(run, target, flow) == [("a", 0.0), ("<b>", 0.0), ("c", 0.0)]
    assert flow_note(run, target, flow).startswith("Every target sample moved this way")


def test_the_report_shows_a_tables_flows_as_tables_escaped() -> None:
    run, target = table_run()
    section = report_section(run, target, {"r1": "dann · 123456"})
    assert section.pictures == []
    caption, rows = section.tables[0]
    assert caption.startswith("owl → cat: 2 samples. Columns ordered by how far")
    assert rows == flow_table(run, target, run.changes.flows()[0])
    assert [caption for caption, _ in section.tables][1].startswith("cat → dog: 1 sample.")
    assert section.table[0]["share of from"] == "66.7%"  # QA: the report showed the fraction 0.6667
    page = comparison_report({"r1": result(0.8, 0.6)}, moved=[(run, target)])
    assert "<th>sample id</th><th>&lt;b&gt;</th><th>a</th><th>c</th>" in page
    cells = "".join(f"<td class='num'>{v}</td>" for v in ("5", "8", "6", "4"))
    assert cells in page and "<b>" not in page
