"""Compare with many runs (QA: at seven runs the accuracy chart's changes ran into each other in a
540 px column; at twenty picked, upright slots overlapped even at full width and the gap chart's
legend held a line per run). From :data:`chart_text.ACROSS_FROM` runs both per-run charts lay their
bars across, every run named down the left, growing a row per run; fewer runs stay as they were."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from tests.app.test_compare import result
from tlcore.views import chart_text, compare, figures, gaps
from tlcore.views.palette import category_colour

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
        assert ticks[0] == "deep_coral+im+fixmatch+…<br>000000" and ticks[19].endswith("<br>000013")
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
    colours = [category_colour(i) for i in range(20)]  # as the per-class chart colours the runs
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
    assert accuracy.layout.xaxis.ticktext[0] == "deep_coral+<br>im+…<br>000000"
    assert (accuracy.layout.height, chart_text.min_width(accuracy)) == (410, 380)
    assert (gap.layout.height, chart_text.min_width(gap)) == (418, 380)
    assert len([t for t in gap.data if t.x == (None,)]) == 4  # before, and each run by its colour
