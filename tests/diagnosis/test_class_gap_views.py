"""Every view of the per-class gaps (``diagnose``'s text, the HTML report, the Diagnose page's bars)
shows each class's p- and q-value and which classes differ beyond chance."""

from __future__ import annotations

from tests.diagnosis.test_diagnose import FEW, _clustered
from tlcore.cli.diagnose_text import format_report
from tlcore.diagnosis import diagnose
from tlcore.views import figures
from tlcore.views.class_gaps import class_gap_figure
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
