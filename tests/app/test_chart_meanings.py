"""Charts read on a projector at 1024 px: a run's colour never says better, worse, within chance or
source-only (QA: the fourth run, source_only, took the palette's red in the gap and per-class charts
beside the accuracy chart, where red means worse), and the training curves' legend keeps below the
epoch axis at any width (QA: a row an entry at 1024 px, the first touching "epoch")."""

from __future__ import annotations

import pytest

from tlcore.views import class_figures, curves, figures, gap_figure, palette


def test_cielab_matches_the_reference_values() -> None:
    """sRGB red, green, blue and white under D65 (Lindbloom's calculator, rounded)."""
    assert palette.lab("#ff0000") == pytest.approx((53.24, 80.09, 67.20), abs=0.05)
    assert palette.lab("#00ff00") == pytest.approx((87.73, -86.18, 83.18), abs=0.05)
    assert palette.lab("#0000ff") == pytest.approx((32.30, 79.19, -107.86), abs=0.05)
    assert palette.lab("#ffffff") == pytest.approx((100.0, 0.0, 0.0), abs=0.05)
    assert palette.distance("#ff0000", "#ff0000") == 0.0


def test_no_run_colour_reads_as_a_verdict() -> None:
    runs = [palette.run_colour(i) for i in range(60)]
    assert len(set(runs)) == 60
    meanings = (figures.GOOD, figures.BAD, figures.NEUTRAL, palette.WITHIN_CHANCE)
    nearest = min(palette.distance(run, meaning) for run in runs for meaning in meanings)
    assert nearest >= palette.MEANING_DISTANCE
    # before: the category colours, the fourth BAD itself, the third green, the eighth grey
    assert palette.category_colour(3) == figures.BAD and figures.BAD not in runs
    assert {palette.category_colour(2), palette.category_colour(7)}.isdisjoint(runs)
    assert runs[:3] == [palette.category_colour(0), palette.category_colour(1), palette.category_colour(4)]


def test_the_gap_and_per_class_charts_colour_runs_without_verdicts() -> None:
    runs = ["deep_coral+im · 1", "dann · 2", "mcc · 3", "source_only · 4"]
    gaps = {run: {"MMD²": 0.1 * (i + 1)} for i, run in enumerate(runs)}
    after = next(t for t in gap_figure.metrics_before_after(gaps, gaps).data if t.name == "after")
    assert list(after.marker.color) == [palette.run_colour(i) for i in range(4)]
    per_class = class_figures.per_class_accuracy({run: {"0": 0.5, "1": 0.7} for run in runs})
    colours = [t.marker.color for t in per_class.data]
    assert colours == [palette.run_colour(i) for i in range(4)]
    assert not {figures.GOOD, figures.BAD, figures.NEUTRAL, palette.WITHIN_CHANCE} & {*colours}


def test_legend_rows_follow_plotlys_grid() -> None:
    """All in one row when they fit; else every entry takes the widest's width (Plotly's horizontal
    legend), a row as tall as its entry of most lines."""
    assert class_figures.legend_rows(["a", "b"], 300) == 1
    # 235, 46.5, 46.5, 46.5 px: packed by their own widths two rows, in Plotly's grid one an entry
    assert class_figures.legend_rows(["x" * 30, "a", "b", "c"], 300) == 4
    assert class_figures.legend_rows(["a" * 10, "b" * 10, "c" * 10], 250) == 2  # 105 px each: two a row
    assert class_figures.legend_rows(["a" * 10, "two<br>lines", "c" * 10], 250) == 3
    assert class_figures.legend_rows(["a", "two<br>lines"], 300) == 2  # one row of two lines


def _history(final: bool, changed: bool = True) -> dict[str, list[dict[str, float | str]]]:
    rows: list[dict[str, float | str]] = [
        {"epoch": 1, "loss": 2.3, "source_val_loss": 2.3, "source_accuracy": 0.4, "target_accuracy": 0.4},
        {"epoch": 2, "loss": 2.6, "source_val_loss": 2.2, "source_accuracy": 0.2, "target_accuracy": 0.1},
    ]
    if changed:
        rows[1]["target_changed"] = 0.3
    rows[1]["stage"] = "adapt"
    if final:
        rows.append(
            {"epoch": 2, "stage": "final", "label": "final model (after adabn)", "source_accuracy": 0.2}
            | {"target_accuracy": 0.5}
        )
    return {"run": rows}


def test_the_final_models_stars_share_one_legend_entry() -> None:
    fig = curves.learning_curves(_history(final=True), "")
    legend = [t.name for t in fig.data if t.showlegend is not False]
    names = ["training loss", "source val loss", "source accuracy", "target accuracy", "target changed"]
    assert legend == [*names, "final model<br>(after adabn)"]  # before: a star entry per key as well
    stars = [t for t in fig.data if t.marker.symbol == "star"]
    assert [t.legendgroup for t in stars] == ["final model (after adabn)"] * 3  # toggled together
    assert [t.marker.color for t in stars[:2]] == [palette.run_colour(i) for i in (2, 3)]  # the curves'
    curve_colours = [t.line.color for t in fig.data if t.mode and "lines" in t.mode]
    assert curve_colours == [palette.run_colour(i) for i in range(5)]  # one run: no verdict colour
    assert not {figures.GOOD, figures.BAD, figures.NEUTRAL} & set(curve_colours)
    assert stars[-1].marker.color == figures.NEUTRAL and stars[-1].x == (None,)
    assert fig.layout.legend.traceorder == "normal"  # grouped, Plotly stacks a group's entries


def test_the_curves_bottom_margin_holds_the_legend_at_1024_px() -> None:
    """At 1024 px the figure is 347 px: the legend's rows there, under the ticks and "epoch", fit the
    bottom margin, so Plotly never grows it and the panels keep their height at any width."""
    for history in (_history(final=True), _history(final=False), _history(final=False, changed=False)):
        fig = curves.learning_curves(history, "")
        entries = [t.name for t in fig.data if t.showlegend is not False]
        lines = class_figures.legend_rows(entries, curves.NARROWEST - figures.SIDES)
        assert fig.layout.margin.b == curves.LEGEND_DROP + class_figures.LINE * lines
        assert fig.layout.height - fig.layout.margin.t - fig.layout.margin.b == curves.PLOT
        assert fig.layout.legend.y == pytest.approx(-curves.LEGEND_DROP / curves.PLOT)
    # five keys and the final model: two entries a row at 347 px, the final model's two lines
    assert curves.learning_curves(_history(final=True), "").layout.margin.b == 58 + 20 * 4
    assert curves.learning_curves(_history(final=False, changed=False), "").layout.margin.b == 58 + 20 * 2


def test_the_right_panels_title_names_the_shares_drawn() -> None:
    """QA at 1024 px: an unlabelled target's run drew source accuracy alone under "Accuracy · predictions
    changed", and the "adapt" label sat on its curve near 97%; now the title names what is drawn and the
    label sits over the panels, their titles a line above it."""
    labelled = curves.learning_curves(_history(final=False), "")
    assert labelled.layout.annotations[1].text == "Accuracy ·<br>predictions changed"
    unlabelled = [
        {k: v for k, v in row.items() if not k.startswith("target")} for row in _history(final=False)["run"]
    ]
    fig = curves.learning_curves({"run": unlabelled}, "")
    titles, stages = fig.layout.annotations[:2], fig.layout.annotations[2:]
    assert [t.text for t in titles] == ["Loss", "Source accuracy"]
    assert [(s.text, s.yref, s.y, s.yanchor) for s in stages] == [
        ("adapt", "y domain", 1, "bottom"),
        ("adapt", "y2 domain", 1, "bottom"),
    ]  # above each panel's top, off the curves
    assert all(t.yshift == curves.STAGE_LINE for t in titles)
    assert fig.layout.margin.t == 30 + curves.STAGE_LINE
