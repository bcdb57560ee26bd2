"""Figures of pairs with 20 and 30 classes and long names (QA: colours repeating from the 16th class,
legends over the charts, names cut at their start or left out, captions as boxes)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import ImageFont

from tlcore.metrics.prior_shift import LabelShiftSettings, estimate_label_shift
from tlcore.prediction_summary import PredictionSummary
from tlcore.views import (
    chart_text,
    class_figures,
    compare,
    explain_figures,
    figures,
    predictions,
    thumbnails,
    umap_figure,
)
from tlcore.views.chart_text import NAME_WIDTH

LONG = 'Shirt "formal" long-sleeved with collar and buttons'
CLASSES = [f"category {i:02d} \u2013 θ/Ж, é" for i in range(29)] + [LONG]  # QA's 30-class pair's kind
README_PALETTE = (  # the first 15 colours (the first ten as the README's screenshots show them, five
    # of those and the last five moved to read on the dark page too: tests/app/test_theme_contrast.py)
    "#3b6fd4", "#e77535", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e06bbc", "#7f7f7f", "#999a1c", "#14a4b3",
    "#aa0dfe", "#fb00d1", "#fc0080", "#4c4ce7", "#1c8356",
)  # fmt: skip


def umap(groups: list[str]) -> go.Figure:
    coords = np.random.default_rng(0).normal(size=(len(groups), 2))
    return umap_figure.umap_scatter(coords, groups, colours=figures.colour_map(groups))


def ticks(axis: go.layout.XAxis | go.layout.YAxis) -> list[str]:
    assert axis.tickmode == "array"  # every tick drawn: Plotly's own skipped every second of 30
    return list(axis.ticktext)


def test_thirty_classes_get_thirty_colours_and_the_first_fifteen_are_kept() -> None:
    colours = figures.colour_map(CLASSES)
    assert len(set(colours.values())) == 30  # before: the 16th was the 1st's blue
    assert list(colours.values())[:15] == list(README_PALETTE)
    assert len({trace.marker.color for trace in umap(CLASSES[:20]).data}) == 20
    summary = PredictionSummary(30, tuple(CLASSES), dict.fromkeys(CLASSES, 1), np.full(30, 0.9), None, ())
    (bars,) = predictions.predicted_counts(summary).data
    assert len(set(bars.marker.color)) == 30


def test_a_long_umap_legend_goes_below_and_the_map_keeps_its_height() -> None:
    domains = umap(["source", "target"])
    assert domains.layout.legend.y > 1 and domains.layout.height == 460  # one row above, as before
    for n in (10, 20, 30):
        fig = umap(CLASSES[:n] if n < 30 else CLASSES)
        legend, margin = fig.layout.legend, fig.layout.margin
        assert legend.yanchor == "top" and legend.y < 0  # below the map, clear of the title
        assert fig.layout.height - margin.t - margin.b == 460 - 60 - 40  # the map's 360 px, kept
        assert margin.b >= 20 * n / 2  # room for its rows of two entries
        assert max(len(trace.name) for trace in fig.data) <= NAME_WIDTH
    assert LONG in fig.data[-1].hovertemplate  # whole on hover


def test_class_proportions_name_every_class_and_grow_with_them() -> None:
    logits = torch.randn(600, 30, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    labels = torch.arange(300) % 30
    estimate = estimate_label_shift(
        logits[:300], labels, logits[300:], tuple(CLASSES), settings=LabelShiftSettings(n_bootstrap=5)
    )
    fig = explain_figures.class_proportions_figure(estimate)
    assert {bar.orientation for bar in fig.data} == {"h"}
    names = ticks(fig.layout.yaxis)
    assert len(names) == 30 and names[-1] == LONG[: NAME_WIDTH - 1] + "…"
    assert list(fig.data[0].y)[-1] == LONG  # whole on hover
    plot = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert plot >= 30 * 3 * 6  # before: 60 px for 20 classes at a fixed 380
    assert fig.layout.legend.y < 0


def test_confusion_matrices_of_thirty_classes_name_every_class_one_a_row() -> None:
    matrix = np.eye(30) * 5 + 1
    fig = class_figures.confusion_heatmap(matrix, CLASSES)
    assert len(ticks(fig.layout.xaxis)) == len(ticks(fig.layout.yaxis)) == 30  # before: 5 of 30 columns
    assert all(len(name) <= NAME_WIDTH for name in fig.layout.xaxis.ticktext)
    assert fig.layout.height >= 30 * 22
    result = {"per_class_accuracy": dict.fromkeys(CLASSES, 0.5)}
    digits = {"per_class_accuracy": dict.fromkeys("0123456789", 0.5)}
    assert compare.confusion_columns({"a": result, "b": result, "c": result}, ["a", "b", "c"]) == 1
    assert compare.confusion_columns({"a": digits, "b": digits, "c": digits}, ["a", "b", "c"]) == 3


def test_every_class_named_on_the_per_class_bars() -> None:
    gaps = figures.per_class_gap({c: i / 100 for i, c in enumerate(CLASSES)})
    assert len(ticks(gaps.layout.yaxis)) == 30 and gaps.layout.height >= 30 * 18  # before: 15 of 30
    accuracy = class_figures.per_class_accuracy({"run": dict.fromkeys(CLASSES, 0.5)})
    balance = figures.class_balance({"source": dict.fromkeys(CLASSES, 3)})
    for fig in (accuracy, balance):
        assert len(ticks(fig.layout.xaxis)) == 30
    summary = PredictionSummary(2, ("a", LONG), {"a": 1, LONG: 1}, np.full(2, 0.9), None, ())
    counts = predictions.predicted_counts(summary)
    assert ticks(counts.layout.yaxis)[1] == LONG[: NAME_WIDTH - 1] + "…"  # before: it squeezed the plot
    assert list(counts.data[0].y)[1] == LONG  # whole on hover


def test_captions_break_names_at_spaces_in_a_font_with_their_letters() -> None:
    assert thumbnails.caption_lines("digit 0 (zero)", 55) == ["digit 0", "(zero)"]  # before: "d" / "igit…"
    assert thumbnails.caption_lines("a/b/c/very/deep/folder/scan_035.png", 71)[1] == "scan_035.png"
    assert isinstance(thumbnails.FONT, ImageFont.FreeTypeFont)  # the bitmap default drew é, Ж as boxes

    def glyph(text: str) -> bytes:
        return bytes(thumbnails.FONT.getmask(text)) + bytes(thumbnails.FONT.getbbox(text))

    missing = glyph("\U0010fffd")  # a code point no font has: the box
    assert all(glyph(letter) != missing for letter in "é—Жθ")


def test_a_class_legend_goes_below_the_umap_at_ten_classes_the_domains_stay_above() -> None:
    # QA: the 10 digits, 70 characters, wrapped to two rows over the title of a 540 px chart
    legend = umap([str(d) for d in range(10)]).layout.legend
    assert legend.yanchor == "top" and legend.y < 0
    assert umap(["source", "target", "unlabelled"]).layout.legend.y == 1.02


def test_confusion_matrices_record_their_width_and_line_up_whatever_their_titles() -> None:
    digits = list("0123456789")
    methods = "deep_coral+im+fixmatch+mcc+mixup+bnm+entropy+vat+dann"
    result = {"per_class_accuracy": dict.fromkeys(digits, 0.5), "confusion": np.eye(10).tolist()}
    both = {"source_only · 97c194": result, "deep_coral+im · ddea9a": result}  # 22 characters: 2 lines
    short, two = compare.confusion_figures(both, list(both)).values()  # side by side: they line up
    assert two.layout.title.text.count("<br>") == 1 and short.layout.title.text.count("<br>") == 0
    assert short.layout.margin.t == two.layout.margin.t and short.layout.height == two.layout.height
    alone = compare.confusion_figures(both, ["source_only · 97c194"])["source_only · 97c194"]
    assert alone.layout.margin.t == short.layout.margin.t - figures.TITLE_LINE  # its own title's line
    twenty = {"per_class_accuracy": dict.fromkeys(map(str, range(20)), 0.5), "confusion": np.eye(20).tolist()}
    apart = compare.confusion_figures(
        dict.fromkeys(["deep_coral+im · ddea9a", "a · 1"], twenty), ["deep_coral+im · ddea9a", "a · 1"]
    )
    margins = [fig.layout.margin.t for fig in apart.values()]  # one a row: each its own title's lines
    assert margins == [two.layout.margin.t, alone.layout.margin.t]
    short = class_figures.confusion_heatmap(np.eye(10), digits, "Confusion: source_only · 97c194", lines=3)
    long = class_figures.confusion_heatmap(np.eye(10), digits, f"Confusion: {methods} · ddea9a")
    assert short.layout.margin.t == long.layout.margin.t and short.layout.height == long.layout.height
    assert long.layout.title.text.count("<br>") == class_figures.TITLE_LINES - 1
    assert long.layout.title.text.endswith("ddea9a")  # the run's id kept
    # the matrix gets a column's px at its width: before, three shrank to 169 px (the matrix 50)
    assert chart_text.min_width(short) == short.layout.meta["min_width"] >= 10 * class_figures.CELL + 150
    assert short.layout.xaxis.tickangle == 0  # digits fit their columns
    wide = class_figures.confusion_heatmap(np.eye(30), CLASSES)
    assert wide.layout.meta["min_width"] >= 30 * class_figures.CELL + 150
    # 30 names stand upright at 9 px, 12 characters (QA: at Plotly's own angle, 24, one block)
    assert wide.layout.xaxis.tickangle == -90 and wide.layout.xaxis.tickfont.size == 9
    assert max(len(name) for name in (*wide.layout.xaxis.ticktext, *wide.layout.yaxis.ticktext)) == 12


def test_per_class_accuracy_legend_has_its_rows_under_the_title() -> None:
    runs = ["source_only · 97c194", "deep_coral+im+fixmatch · ddea9a", "dann · 0b1c2d"]
    fig = class_figures.per_class_accuracy({run: {"0": 0.5, "1": 0.7} for run in runs})
    rows = class_figures.legend_rows(runs, chart_text.MIN_WIDTH - figures.SIDES)
    assert rows == 3  # entries of 170, 242 and 125 px in 310 px
    assert fig.layout.margin.t == class_figures.TITLE_PAD + rows * class_figures.LINE  # before: 60
    assert fig.layout.title.yref == "container" and fig.layout.title.yanchor == "top"
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y == 1.0  # on the plot's top


def test_the_per_class_gap_title_wraps_whole() -> None:
    title = "Per-class gaps (predicted target labels): class-conditional MMD²"
    text = figures.per_class_gap({"a": 0.1, "b": 0.2}, title).layout.title.text
    lines = text.split("<br>")
    assert len(lines) > 1 and all(len(line) <= figures.TITLE_WRAP for line in lines)  # before: one line
    assert text.replace("<br>", " ") == title  # "MMD²" kept (QA: cut at 1280 px)


def counts_of(per_class: list[int]) -> PredictionSummary:
    classes = tuple(f"class {i:03d}" for i in range(len(per_class)))
    n = sum(per_class)
    return PredictionSummary(
        n, classes, dict(zip(classes, per_class, strict=True)), np.full(n, 0.9), None, ()
    )


def test_predicted_classes_run_across_most_predicted_first_and_past_thirty_the_rest_summed() -> None:
    """Helper-172: upright bars of a 100-class target ran their names into each other at 1280 px."""
    heights = []
    for n in (2, 10, 100):
        per_class = [(7 * i) % 11 + (i == n - 1) * 50 for i in range(n)]  # the last class the most predicted
        fig = predictions.predicted_counts(counts_of(per_class))
        (bars,) = fig.data
        assert bars.orientation == "h" and fig.layout.yaxis.autorange == "reversed"  # the first on top
        named = list(bars.x[: min(n, 29)])  # past 30 classes, the grey bar of the rest comes last
        assert named == sorted(named, reverse=True) and bars.y[0] == f"class {n - 1:03d}"
        assert sum(bars.x) == sum(per_class) and len(ticks(fig.layout.yaxis)) == len(bars.y)
        heights.append(fig.layout.height)
        if n < 100:
            assert len(bars.y) == n and fig.layout.title.text == "Predicted classes"
    # 29 named, the other 62 predicted ones one grey bar; the 9 never predicted (i = 0, 11, ..., 88) not drawn
    assert len(bars.y) == 30 and bars.y[-1] == "62 other classes" and per_class.count(0) == 9
    assert bars.marker.color[-1] == figures.NEUTRAL and len(set(bars.marker.color[:-1])) == 29
    assert bars.x[-1] == sum(sorted(per_class)[9:71]) and min(bars.x) > 0
    assert fig.layout.title.text.replace("<br>", " ") == (
        "Predicted classes: the 29 most predicted, the other 62 summed; 9 of 100 never predicted"
    )
    assert heights[0] == heights[1] == 380 and heights[2] >= 30 * figures.CLASS_ROW + 100  # grows past 10


def test_two_classes_get_thin_bars_and_a_sparse_many_class_target_draws_only_what_it_predicts() -> None:
    two = predictions.predicted_counts(counts_of([30, 10]))
    plot = two.layout.height - two.layout.margin.t - two.layout.margin.b
    slot = plot / 2  # px per class
    assert (1 - two.layout.bargap) * slot <= 2 * figures.CLASS_ROW  # at most two rows thick, not 150 px
    sparse = predictions.predicted_counts(counts_of([0] * 35 + [5, 4, 3, 2, 1]))
    (bars,) = sparse.data
    assert list(bars.x) == [5, 4, 3, 2, 1] and bars.y[0] == "class 035"  # no grey bar: nothing to sum
    assert sparse.layout.title.text.replace("<br>", " ") == "Predicted classes: 35 of 40 never predicted"
