"""Every view of the per-class gaps (``diagnose``'s text, the HTML report, the Diagnose page's bars)
shows each class's p- and q-value and which classes differ beyond chance."""

from __future__ import annotations

from dataclasses import replace

import torch

from tests.diagnosis.test_diagnose import FEW, _clustered, _domain, _Linear
from tlcore.cli.diagnose_text import format_report
from tlcore.diagnosis import describe_gap, diagnose
from tlcore.views import figures
from tlcore.views.class_gaps import NOT_MEASURED, class_gap_figure, class_gap_rows, unmeasured_note
from tlcore.views.diagnosis_report import diagnosis_report


def test_the_text_the_report_and_the_bars_show_p_q_and_the_classes_beyond_chance() -> None:
    report = diagnose(
        _clustered("s", (60, 20, 20, 20), 0),
        _clustered("t", (20, 20, 20, 60), 1, moved=1),
        settings=FEW,
        pca_dim=None,
        umap=False,
    )
    by_name = {g["name"]: g for g in report.per_class}
    b, a = by_name["b"], by_name["a"]
    assert b["significant"] and not a["significant"]

    lines = format_report(report)
    header = next(line for line in lines if line.lstrip().startswith("class"))
    assert lines[lines.index(header) - 1] == "  Per-class gaps (true target labels):"  # as the page heads it
    assert header.split() == ["class", "MMD²", "p", "q", "beyond", "chance", "source", "target"]
    row_b = next(line for line in lines if line.lstrip().startswith("b "))
    assert row_b.split() == [
        "b",
        f"{b['mmd2']:.4g}",
        f"{b['p_value']:.4g}",
        f"{b['q_value']:.4g}",
        "yes",
        "20",
        "20",
    ]
    assert next(line for line in lines if line.lstrip().startswith("a ")).split()[4] == "no"
    assert (
        "  Each class's MMD² is tested by 1000 permutations of its samples (the gap's bandwidth); q adjusts "
        "the p-values across the 4 classes measured (Benjamini-Hochberg), and a class differs beyond "
        "chance at q ≤ 0.05."
    ) in lines

    page = diagnosis_report(report, None)
    assert "<th>p</th><th>q</th><th>beyond chance</th>" in page
    assert f"<td>b</td><td class='num'>{b['mmd2']:.4g}</td><td class='num'>{b['p_value']:.4g}</td>" in page
    assert f"<td class='num'>{b['q_value']:.4g}</td><td>yes</td>" in page
    assert '"name":"within chance (q \\u003e 0.05): lighter"' in page  # the bars' legend, in the figure

    fig = class_gap_figure(report)
    beyond, within = fig.data
    assert list(beyond.y) == ["b"] and beyond.marker.color == figures.fade(figures.PALETTE[0], 1.0)
    assert sorted(within.y) == ["a", "c", "d"] and within.marker.color == figures.fade(
        figures.PALETTE[0], 0.35
    )
    assert (beyond.name, within.name) == ("beyond chance (q ≤ 0.05)", "within chance (q > 0.05): lighter")
    assert list(within.customdata) == [by_name[k]["q_value"] for k in within.y]
    order = sorted(by_name, key=lambda k: -by_name[k]["mmd2"])
    assert list(fig.layout.yaxis.categoryarray) == order and fig.layout.showlegend
    # every class measured: no column nor note of classes left out, and the verdict counts them plainly
    assert all(NOT_MEASURED not in row for row in class_gap_rows(report)) and unmeasured_note(report) == ""
    assert "<th>why not measured</th>" not in page and " of 4 classes differ" in describe_gap(report)


def test_by_a_models_predictions_the_text_the_verdict_and_the_page_say_the_labels_are_predicted() -> None:
    """QA helper-275: with an unlabelled target, ``diagnose``'s text grouped it by a model's predicted
    classes under no heading, its verdict read "Largest class gap beyond chance: 0 ... 7 of 7 classes
    differ" as if of the target's own labels, and a class the model never predicted had "only 0 target
    samples"; the Diagnose page and the report head the gaps "(predicted target labels)"."""
    target = _domain("t", 1)
    target = replace(target, X=target.X - 10.0 * (torch.arange(6) == 2), y=None)  # never predicted c
    report = diagnose(_domain("s", 0), target, _Linear(), settings=FEW, umap=False, device="cpu")
    assert report.per_class_labels == "predicted" and report.to_dict()["per_class_labels"] == "predicted"
    a, b, c = report.per_class
    assert (c["n_target"], c["mmd2"], c["reason"]) == (0, None, "predicted for no target sample")
    assert a["significant"] and b["significant"]

    title = "Per-class gaps (predicted target labels)"
    worst = max((a, b), key=lambda g: g["mmd2"])
    reading = (
        f" Largest class gap beyond chance (predicted target labels): {worst['name']} (MMD² "
        f"{worst['mmd2']:.3g}, q = {worst['q_value']:.3g}); 2 of 2 measured classes (3 in all) differ (false "
        "discovery rate 5%)."
    )  # QA helper-279: "2 of 2 classes differ" did not say a third class was not measured
    assert reading in describe_gap(report)
    within = [{**g, "significant": False} for g in report.per_class]
    assert describe_gap(replace(report, per_class=within)).endswith(
        " No class differs beyond chance on its own (predicted target labels; 2 measured classes (3 in all) "
        "tested, false discovery rate 5%)."
    )
    lines = format_report(report)
    header = next(line for line in lines if line.lstrip().startswith("class"))
    assert lines[lines.index(header) - 1] == f"  {title}:"
    assert next(line for line in lines if line.lstrip().startswith("c ")).endswith(
        "  predicted for no target sample"
    )
    assert " ".join(lines).count("(predicted target labels)") == 2  # the heading and the verdict
    page = diagnosis_report(report, None)
    assert title in page  # the report's heading: the same words
    # QA helper-279: the page's bars and the report's table left out the classes not measured and why
    why = "predicted for no target sample"  # the words diagnose's text puts after c's row
    assert [row.get(NOT_MEASURED) for row in class_gap_rows(report)] == ["", "", why]
    assert "<th>target</th><th>why not measured</th>" in page and f"<td>{why}</td>" in page
    assert unmeasured_note(report) == f"Not measured, so not in the bars: c: {why}."
    a_few = "only 3 source samples (fewer than 10)"
    few = [{**g, "reason": a_few} if g["name"] == "a" else g for g in report.per_class]
    assert unmeasured_note(replace(report, per_class=few)) == (
        f"Not measured, so not in the bars: a: {a_few}; c: {why}."
    )
