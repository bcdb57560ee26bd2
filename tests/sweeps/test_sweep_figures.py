"""The sweep's figures (heatmap composition x first varied key, strip plot of every trial) against the
stand-in workers' known numbers: target accuracy 0.6 + 0.1 w + 0.01 seed."""

from __future__ import annotations

import statistics

import pytest
from inline_executor import InlineExecutor

from tlcore.runs import driver
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.summary import SweepSummary
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_selection import SCORE_KEY, selection_score
from tlcore.views.figures import PAGE_TITLE_WRAP
from tlcore.views.sweep_figures import (
    ACCURACY_MIN_SPAN,
    NOT_VARIED,
    STAR,
    STRIP_PAD,
    colour_range,
    heatmap,
    strip,
)
from tlcore.workspace import Workspace

SEEDS = (0, 1)


def run(
    ws: Workspace,
    grid: list[str],
    worker: str = "scored",
    compositions: tuple[tuple[str, ...], ...] = (("dann", "im"), ("im",)),
    seeds: tuple[int, ...] = SEEDS,
) -> SweepSummary:
    spec = SweepSpec(
        "mnist5k", "digits", compositions, Space(parse_grid(grid)), seeds=seeds, budget={"epochs": 1}
    )
    sweep_id = driver.create(ws, spec)
    return driver.drive(ws, sweep_id, executor=InlineExecutor(ws, f"sweep_workers:{worker}"), poll=0.0)


def accuracy(w: float) -> float:
    return statistics.fmean(0.6 + 0.1 * w + 0.01 * seed for seed in SEEDS)


def test_the_heatmap_shows_each_configurations_mean_target_accuracy(workspace: Workspace) -> None:
    summary = run(workspace, ["dann.weight=0.3,0.1"])
    (trace,) = heatmap(summary).data
    assert list(trace.y) == ["dann+im", "im"]
    assert list(trace.x) == ["0.1", "0.3", NOT_VARIED]  # numbers in order; im has no dann.weight
    assert trace.z[0][:2] == pytest.approx([accuracy(0.1), accuracy(0.3)]) and trace.z[0][2] is None
    assert trace.z[1][:2] == [None, None] and trace.z[1][2] == pytest.approx(accuracy(0.0))
    assert summary.recommended == "im"  # the stand-in's rule: w = 0.3 collapses, w = 0.1 agrees less
    assert trace.text[1][2] == f"{accuracy(0.0):.1%}{STAR}" and STAR not in trace.text[0][0]


def test_without_target_labels_the_heatmap_shows_the_selection_score(workspace: Workspace) -> None:
    summary = run(workspace, ["dann.weight=0.1,0.3"], worker="unlabelled")
    (trace,) = heatmap(summary).data
    scores = {c.key: selection_score(c.metrics) for c in summary.configs}
    assert trace.z[1][2] == pytest.approx(scores["im"])
    assert trace.z[0][0] == pytest.approx(scores["dann+im|dann.weight=0.1"])
    assert trace.z[0][1] is None  # w = 0.3 failed the rule's guardrails: no score
    assert "selection score" in trace.colorbar.title.text


def test_with_two_varied_keys_a_cell_shows_the_best_over_the_other(workspace: Workspace) -> None:
    summary = run(workspace, ["dann.weight=0.1,0.3", "im.diversity=0.5,1"])
    (trace,) = heatmap(summary).data
    assert len(summary.configs) == 6 and list(trace.x) == ["0.1", "0.3", NOT_VARIED]
    # the stand-in ignores im.diversity: both configurations of a cell score the same
    assert trace.z[0][:2] == pytest.approx([accuracy(0.1), accuracy(0.3)])
    assert "best over the other keys" in heatmap(summary).layout.title.text


def test_the_strip_plot_has_every_trial_by_seed_and_its_run(workspace: Workspace) -> None:
    summary = run(workspace, ["dann.weight=0.1,0.3"])
    figure = strip(summary)
    assert [t.name for t in figure.data] == [f"seed {s}" for s in SEEDS]
    for seed, trace in zip(SEEDS, figure.data, strict=True):
        rows = [row for row in summary.trials if row.trial.seed == seed]
        assert list(trace.customdata) == [row.run.id for row in rows if row.run is not None]
        assert list(trace.x) == [row.trial.config_key for row in rows]
        expected = [0.6 + 0.1 * w + 0.01 * seed for w in (0.1, 0.3, 0.0)]
        assert list(trace.y) == pytest.approx(expected)
    unlabelled = run(Workspace.resolve(workspace.root / "u"), ["dann.weight=0.1"], "unlabelled")
    figure = strip(unlabelled)
    assert figure.layout.yaxis.title.text.startswith("selection score")
    seed0 = [row.metrics[SCORE_KEY] for row in unlabelled.trials if row.trial.seed == 0]
    assert list(figure.data[0].y) == pytest.approx(seed0)


def test_no_figure_before_a_trial_finishes(workspace: Workspace) -> None:
    spec = SweepSpec("mnist5k", "digits", (("im",),))
    sweep_id = driver.create(workspace, spec)
    summary = driver.summary(workspace, sweep_id)
    assert heatmap(summary) is None and strip(summary) is None


def test_a_heatmap_of_few_rows_leaves_its_colour_bar_room(workspace: Workspace) -> None:
    """With one or two compositions the colour bar's tick labels used to stack on each other."""
    fig = heatmap(run(workspace, ["dann.weight=0.1,1"]))
    assert fig is not None and len(fig.data[0].y) == 2
    assert fig.layout.height >= 300


def test_a_sweep_that_varies_no_key_is_titled_by_composition_alone(workspace: Workspace) -> None:
    fig = heatmap(run(workspace, []))
    assert fig is not None and list(fig.data[0].x) == [NOT_VARIED]
    title = fig.layout.title.text
    assert title.startswith("Mean target accuracy over seeds by composition; "), title  # not "and nothing"


def test_the_heatmaps_colour_scale_spans_at_least_a_few_points_of_accuracy(workspace: Workspace) -> None:
    """Cells 3 points apart (61.5%, 63.5%, 60.5%) took both ends of the colour scale, as if opposite;
    the scale now spans ACCURACY_MIN_SPAN about their midpoint, and a range wider than it is kept."""
    (trace,) = heatmap(run(workspace, ["dann.weight=0.1,0.3"])).data
    centre = (accuracy(0.0) + accuracy(0.3)) / 2  # im's 60.5% and dann.weight=0.3's 63.5%
    assert ACCURACY_MIN_SPAN == 0.05
    assert (trace.zmin, trace.zmax) == pytest.approx((centre - 0.025, centre + 0.025))
    (wide,) = heatmap(run(Workspace.resolve(workspace.root / "w"), ["dann.weight=0.1,1"])).data
    assert (wide.zmin, wide.zmax) == pytest.approx((accuracy(0.0), accuracy(1.0)))  # 10 points: as is


def test_a_narrow_colour_scale_near_a_bound_moves_inside_it() -> None:
    assert colour_range([0.99, 0.995], 0.05, (0.0, 1.0)) == pytest.approx((0.95, 1.0))
    assert colour_range([0.0, 0.01], 0.05, (0.0, 1.0)) == pytest.approx((0.0, 0.05))
    assert colour_range([0.3, 0.31], 0.0, (0.0, 1.0)) == (0.3, 0.31)  # no least span: the values'


def test_the_strip_plots_axis_spans_what_the_heatmaps_colours_do(workspace: Workspace) -> None:
    """One trial's accuracy drew on an axis of -85% to 115% (Plotly's range about a lone point); the
    axis is the heatmap's span (at least ACCURACY_MIN_SPAN about the values), padded for the markers."""
    summary = run(workspace, [], compositions=(("im",),), seeds=(0,))
    figure, (cell,) = strip(summary), heatmap(summary).data
    assert len([y for trace in figure.data for y in trace.y]) == 1
    pad = (cell.zmax - cell.zmin) * STRIP_PAD
    assert tuple(figure.layout.yaxis.range) == pytest.approx((cell.zmin - pad, cell.zmax + pad))


def test_the_titles_wrap_to_the_page_at_1024_px(workspace: Workspace) -> None:
    """As wide as the page, which the sidebar leaves about 550 px at 1024: the heatmap's title on one
    line ran off the figure ("... and dann.weight; ★ recommen")."""
    summary = run(workspace, ["dann.weight=0.3,0.1"])
    for figure in (heatmap(summary), strip(summary)):
        lines = figure.layout.title.text.split("<br>")
        assert max(map(len, lines)) <= PAGE_TITLE_WRAP
    assert len(heatmap(summary).layout.title.text.split("<br>")) == 2
