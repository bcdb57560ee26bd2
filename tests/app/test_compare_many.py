"""Compare with many runs (QA: at seven runs the accuracy chart's changes ran into each other in a
540 px column; at twenty picked, upright slots overlapped even at full width and the gap chart's
legend held a line per run). From :data:`chart_text.ACROSS_FROM` runs both per-run charts lay their
bars across, every run named down the left, growing a row per run; fewer runs stay as they were."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from tests.app.test_compare import result
from tests.app.test_many_classes import CLASSES
from tlcore.views import chart_text, class_figures, compare, figures, gaps
from tlcore.views.palette import run_colour

FULL_COLUMN = 540  # px of the page's column at a 1000 px window with the sidebar open (QA)


def runs(n: int) -> dict[str, dict[str, Any]]:
    """``n`` runs of long labels sharing their start (the id tells them apart), on 359 target samples;
    every third falls, every third is unchanged and within chance."""
    out = {}
    for i in range(n):
        target = (0.7, 0.5, 0.6)[i % 3]
        paired = {"b": 0, "c": 0, "n": 359, "p_value": 1.0} if i % 3 == 2 else None
        label = f"deep_coral+im+fixmatch+shot_pl+adabn+mcc · {i:06x}"
        out[label] = result(target, 0.6) | {"info": {"n_target_test": 359}, "paired": paired}
    return out


def bars(fig: go.Figure) -> list[go.Bar]:
    """The figure's bars of data, not its legend entries."""
    return [t for t in fig.data if isinstance(t, go.Bar) and t.x != (None,)]


def test_twenty_runs_name_every_run_down_the_left_a_row_each() -> None:
    many = runs(20)
    for fig in (compare.accuracy_figure(many), gaps.gap_figure(many)):
        assert {t.orientation for t in bars(fig)} == {"h"}
        axis = fig.layout.yaxis
        assert list(axis.tickvals) == list(many)  # every run, once, in order, first on top
        assert list(axis.range) == [19.5, -0.5]  # first on top, no blank rows (autorange: 3 in the report)
        ticks = list(axis.ticktext)
        assert len(set(ticks)) == 20  # no two runs read the same: each keeps its id
        assert ticks[0] == "deep_coral+… · 000000" and ticks[19].endswith(" · 000013")  # as the table
        for tick in ticks:  # two lines of 24 characters at most: a 36 px row holds them
            lines = tick.split("<br>")
            assert len(lines) <= chart_text.RUN_LINES and max(map(len, lines)) <= chart_text.NAME_WIDTH
        assert chart_text.RUN_LINES * chart_text.TICK_SIZE * 1.3 <= chart_text.RUN_ROW
        assert fig.layout.height >= chart_text.RUN_ROW * 20 == 720
        assert chart_text.min_width(fig) <= FULL_COLUMN
    accuracy = compare.accuracy_figure(many)
    (changes,) = [t for t in accuracy.data if isinstance(t, go.Scatter)]
    assert changes.textposition == "middle right" and list(changes.y) == list(many)
    assert changes.text[0] == "\u00a0+10.0 pts"
    assert changes.text[2] == "\u00a0unchanged<br>\u00a0within chance"
    assert accuracy.layout.margin.r >= chart_text.text_px("\u00a0within chance", figures.LABEL_SIZE)


def test_the_gap_chart_of_many_runs_keeps_each_runs_colour_without_a_legend_line_per_run() -> None:
    many = runs(20)
    gap = gaps.gap_figure(many)
    after = [t for t in bars(gap) if t.name == "after"]
    colours = [run_colour(i) for i in range(20)]  # as the per-class chart colours the runs
    assert len(after) == 3 and all(list(t.marker.color) == colours for t in after)
    legend = [t.name for t in gap.data if t.x == (None,)]
    assert legend == ["before (each run's own)", "after (each run's colour)"]
    assert gap.layout.yaxis2.matches == "y" and gap.layout.yaxis2.showticklabels is False


def test_one_rule_turns_both_charts_at_the_same_number_of_runs() -> None:
    for n, across in ((chart_text.ACROSS_FROM - 1, False), (chart_text.ACROSS_FROM, True)):
        picked = runs(n)
        for fig in (compare.accuracy_figure(picked), gaps.gap_figure(picked)):
            assert {t.orientation or "v" for t in bars(fig)} == ({"h"} if across else {"v"})


def test_three_runs_stay_upright_as_before() -> None:
    """Three runs: bars up, runs along x under their bars, the gap's runs in its legend, at the sizes
    of before."""
    three = runs(3)
    accuracy, gap = compare.accuracy_figure(three), gaps.gap_figure(three)
    assert {t.orientation or "v" for t in bars(accuracy) + bars(gap)} == {"v"}  # None: upright
    assert list(accuracy.layout.xaxis.tickvals) == list(three)
    assert accuracy.layout.xaxis.ticktext[0] == "deep_coral+<br>… · 000000"  # the ranking table's label
    # its title takes two lines: 390 px and 24 for the second (20 until a third line touched the plot)
    # (414 px with three tick lines; the ranking table's label takes two)
    assert (accuracy.layout.height, chart_text.min_width(accuracy)) == (399, 380)
    assert (gap.layout.height, chart_text.min_width(gap)) == (418, 380)
    assert len([t for t in gap.data if t.x == (None,)]) == 4  # before, and each run by its colour


def with_classes(picked: dict[str, dict[str, Any]], classes: list[str]) -> dict[str, dict[str, Any]]:
    """``picked`` with each run's accuracy on ``classes`` (run i, class j: (i + j) % 10 / 10), the
    first run a source-only one."""
    out = {}
    for i, (label, res) in enumerate(picked.items()):
        accuracy = {c: (i + j) % 10 / 10 for j, c in enumerate(classes)}
        methods = ["source_only"] if i == 0 else res["config"]["methods"]
        out[label] = res | {"per_class_accuracy": accuracy, "config": res["config"] | {"methods": methods}}
    return out


def test_the_per_class_accuracy_of_twenty_runs_is_a_heatmap_naming_every_run_and_class() -> None:
    """QA: at 20 runs and 30 classes the grouped bars were 20 bars of 3 px a class under a legend of
    20 colours. From :data:`chart_text.ACROSS_FROM` runs, a row per run and a column per class."""
    classes = CLASSES
    many = with_classes(runs(20), classes)
    fig = compare.per_class_figure(many)
    (heat,) = fig.data
    assert isinstance(heat, go.Heatmap)
    assert list(heat.y) == list(many) and list(heat.x) == [chart_text.safe(c) for c in classes]
    assert heat.z[3][5] == 0.8 and heat.z[19][29] == 0.8 and heat.z[0][0] == 0.0  # (run + class) % 10 / 10
    assert (heat.zmin, heat.zmax, heat.colorbar.tickformat) == (0, 1, ".0%")
    assert heat.colorbar.title.text == "accuracy"
    assert heat.texttemplate is None  # 30 classes: 10 px a column at 1000 px, the values on hover
    rows, columns = fig.layout.yaxis, fig.layout.xaxis
    assert list(rows.tickvals) == list(many) and list(rows.range) == [19.5, -0.5]  # first on top
    assert len(set(rows.ticktext)) == 20  # each run named, keeping its id
    assert rows.ticktext[0] == "<b>deep_coral+… · 000000</b>"  # the source-only run
    assert rows.ticktext[1] == "deep_coral+… · 000001"  # as the ranking table names it
    assert fig.layout.title.subtitle.text == class_figures.MARKED
    assert len(columns.ticktext) == 30 and columns.tickangle == -90  # every class, upright
    assert fig.layout.height >= 20 * chart_text.RUN_ROW
    assert not fig.layout.showlegend and len(fig.data) == 1  # no legend line per run


def test_a_few_classes_write_each_value_in_its_cell() -> None:
    fig = compare.per_class_figure(with_classes(runs(chart_text.ACROSS_FROM), ["cat", "dog", "<b>"]))
    (heat,) = fig.data
    assert heat.texttemplate == "%{z:.0%}" and list(heat.x) == ["cat", "dog", "&lt;b&gt;"]
    assert fig.layout.xaxis.tickangle == 0  # short names read across


def test_a_class_a_run_lacks_is_grey_not_read_as_zero() -> None:
    """QA: 0% is the page's own colour, and a class missing from a run's test split was a blank cell
    too. It is a grey cell of a second trace, said under the title and on hover."""
    picked = with_classes(runs(chart_text.ACROSS_FROM), ["cat", "dog", "owl"])
    lacking = list(picked)[2]
    picked[lacking] = picked[lacking] | {"per_class_accuracy": {"cat": 0.0, "dog": 0.5}}  # no owl
    heat, absent = compare.per_class_figure(picked).data
    assert list(heat.z[2][:2]) == [0.0, 0.5] and np.isnan(heat.z[2][2])
    assert [(r, c) for r, row in enumerate(absent.z) for c, v in enumerate(row) if v == 1.0] == [(2, 2)]
    assert not absent.showscale and "not in this run's test split" in absent.hovertemplate
    subtitle = compare.per_class_figure(picked).layout.title.subtitle.text
    assert subtitle == f"{class_figures.MARKED}; {class_figures.ABSENT}"
    (whole,) = compare.per_class_figure(with_classes(runs(chart_text.ACROSS_FROM), ["cat"])).data
    assert whole.type == "heatmap"  # every class in every run: no grey trace


def test_three_runs_keep_their_grouped_bars() -> None:
    picked = with_classes(runs(chart_text.ACROSS_FROM - 1), CLASSES[:3])
    fig = compare.per_class_figure(picked)
    assert [t.type for t in fig.data] == ["bar"] * 5 and fig.layout.barmode == "group"
    assert [t.name for t in fig.data] == list(picked)  # each run in the legend, as before
    three = compare.per_class_figure(with_classes(runs(3), CLASSES[:3]))
    assert three.layout.height == 380 and list(three.data[1].y) == [0.1, 0.2, 0.3]


def test_two_per_run_charts_of_many_runs_sit_side_by_side_in_a_1280_px_window() -> None:
    """QA: at 7 runs both charts recorded 515 px and stacked in a 1280 px window (its column 820 px,
    16 between two charts): the runs' names were counted beside the left margin they widen, and the
    gap panels took 95 px for three x ticks."""
    half = (820 - 16) / 2
    for n in (chart_text.ACROSS_FROM, 20):
        named = {
            f"{('pseudo_label', 'coral', 'mcc')[i % 3]} · {i:06x}": r for i, r in enumerate(runs(n).values())
        }
        widths = [
            chart_text.min_width(fig) for fig in (compare.accuracy_figure(named), gaps.gap_figure(named))
        ]
        assert max(widths) <= half
        assert 2 * max(widths) + 16 > FULL_COLUMN  # at 1000 px they still stack
    gap = gaps.gap_figure(named)  # each panel's two ticks: 0 and one among its bars (gaps of result())
    ticks = [list(gap.layout[f"xaxis{i}"].tickvals) for i in ("", 2, 3)]
    assert ticks == [[0, 0.2], [0, 1], [0, 1]]  # MMD² to 0.3, CORAL to 1.0, A-distance to 1.9


def test_a_narrow_panel_ticks_0_and_a_round_value_among_its_bars() -> None:
    assert chart_text.value_ticks([0.0023, 0.001]) == [0, 0.002]
    assert chart_text.value_ticks([0.15, float("nan")]) == [0, 0.1]  # Plotly's own: 0 alone
    assert chart_text.value_ticks([0.7, 1.9]) == [0, 1] and chart_text.value_ticks([0.0]) == [0]
