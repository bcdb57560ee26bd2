"""The pure figure, thumbnail and report functions, called without Streamlit."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from tests.app.helpers import DARK_PAGE, LIGHT_PAGE, contrast, random_label_shift, rgba
from tlcore.metrics.mcnemar import PairedChange, described_change
from tlcore.views import (
    class_figures,
    curve_points,
    curves,
    explain_figures,
    figures,
    gap_figure,
    palette,
    report,
    thumbnails,
    umap_figure,
)

EVIL = "<script>alert(1)</script>"
PAGES = (LIGHT_PAGE, DARK_PAGE)


def test_umap_scatter_one_webgl_trace_per_group_with_sample_ids() -> None:
    coords = np.random.default_rng(0).normal(size=(30, 2))
    groups = ["source"] * 20 + ["target"] * 10
    fig = umap_figure.umap_scatter(coords, groups, index=np.arange(100, 130), symbols=groups)
    assert [t.name for t in fig.data] == ["source", "target"]
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    assert sorted(np.concatenate([t.customdata for t in fig.data]).tolist()) == list(range(100, 130))
    assert fig.data[0].marker.color == figures.DOMAIN_COLOURS["source"]
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y > 1  # above the frame's top line


def test_colours_are_stable_across_figures() -> None:
    classes = ["0", "1", "2"]
    colours = figures.colour_map(classes)
    before = umap_figure.umap_scatter(np.zeros((3, 2)), ["2", "0", "1"], colours=colours)
    after = umap_figure.umap_scatter(np.ones((2, 2)), ["2", "1"], colours=colours)
    by_name = {t.name: t.marker.color for t in [*before.data, *after.data]}
    assert by_name == colours


def test_user_labels_are_escaped_in_every_figure() -> None:
    counts = {"src": {EVIL: 3, "b": 1}, "tgt": {EVIL: 1, "b": 2}}
    built = [
        figures.class_balance(counts),
        figures.per_class_gap({EVIL: 0.2, "b": 0.1}),
        figures.per_class_gap({EVIL: 0.2, "b": 0.1}, q_values={EVIL: 0.01, "b": 0.5}),
        class_figures.per_class_accuracy({EVIL: {"a": 0.5}}),
        class_figures.confusion_heatmap(np.eye(2), [EVIL, "b"]),
        figures.accuracy_vs_baseline({EVIL: 0.4}, {EVIL: 0.5}),
        umap_figure.umap_scatter(np.zeros((1, 2)), [EVIL]),
    ]
    for fig in built:
        decoded = json.dumps(json.loads(fig.to_json()))  # plotly's JSON writes "<" as \\u003c
        assert "<script>" not in decoded
        assert "&lt;script&gt;" in decoded


def test_negative_transfer_is_red() -> None:
    fig = figures.accuracy_vs_baseline({"good": 0.9, "bad": 0.4}, {"good": 0.6, "bad": 0.6})
    assert list(fig.data[1].marker.color) == [figures.GOOD, figures.BAD]
    (labels,) = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert list(labels.text) == ["+30.0 pts", "-20.0 pts"]
    assert fig.layout.legend.y < 0  # below the bars: above, three entries ran into the long title


def test_long_run_labels_wrap_under_their_bars_with_the_full_name_on_hover() -> None:
    """helper-48's tabular Compare: "deep_coral+im+fixmatch+shot_pl+adabn · 8d23a5" ran out of the
    half-page chart, tilted; the labels now wrap (at most three lines, the id kept) and stay level, each
    run named as the ranking table names it (helper-241: the table's ``deep_coral+… · 8d23a5``)."""
    long, short = "deep_coral+im+fixmatch+shot_pl+adabn · 8d23a5", "dann · 4a2f96"
    fig = figures.accuracy_vs_baseline({long: 0.8, short: 0.5}, {long: 0.7, short: 0.6})
    axis = fig.layout.xaxis
    assert list(axis.ticktext) == ["deep_coral+<br>… · 8d23a5", "dann ·<br>4a2f96"]
    assert list(axis.tickvals) == [long, short] and axis.tickangle == 0
    assert [t.hovertemplate.split(":")[0] for t in fig.data[:2]] == ["%{x}", "%{x}"]  # the full label
    assert figures.tick_text("labelled_target+finetune · 123456") == "labelled_t…<br>finetune ·<br>123456"
    one_line = figures.accuracy_vs_baseline({"a": 0.8}, {"a": 0.7})
    assert fig.layout.legend.y < one_line.layout.legend.y < 0  # below the taller labels
    assert fig.layout.margin.b - one_line.layout.margin.b == figures.TICK_SIZE + 4


def test_accuracy_change_labels_keep_their_size_above_the_taller_bar() -> None:
    """helper-39 saw "+0.0 pts" shrunk to ~6 px with 4 runs (a bar's outside text shrinks to the bar's
    width) and "-4.9 pts" against the taller source-only bar's edge: the labels are a text trace at a
    fixed size, centred on each pair above its taller bar, never clipped at the plot's top."""
    adapted = {"a": 0.55, "b": 0.35, "c": 0.55, "d": 0.47}
    source_only = {"a": 0.55, "b": 0.35, "c": 0.632, "d": 0.519}
    fig = figures.accuracy_vs_baseline(adapted, source_only)
    assert not [t for t in fig.data if isinstance(t, go.Bar) and t.text is not None]  # no shrinkable text
    (labels,) = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert list(labels.x) == list(adapted) and labels.textfont.size == figures.LABEL_SIZE >= 12
    assert list(labels.y) == [0.55, 0.35, 0.632, 0.519] and labels.textposition == "top center"
    assert labels.cliponaxis is False and fig.layout.yaxis.range[1] >= 1.15  # room above a 100% bar
    # two slots per run (source-only, adapted): the legend-only bars take no slot of their own
    assert {t.offsetgroup for t in fig.data if isinstance(t, go.Bar)} == {"source-only", "adapted"}


def test_an_unchanged_accuracy_is_neutral_not_better() -> None:
    # 0.04 points (2 of 5,000 samples) rounds to +0.0: unchanged, not "adapted: better"
    fig = figures.accuracy_vs_baseline({"same": 0.7204, "up": 0.75}, {"same": 0.72, "up": 0.72})
    adapted = fig.data[1]
    assert list(adapted.marker.color) == [figures.NEUTRAL, figures.GOOD]
    assert list(adapted.marker.pattern.shape) == ["/", ""]  # hatched: not the source-only bar's grey
    assert list(next(t for t in fig.data if isinstance(t, go.Scatter)).text) == ["unchanged", "+3.0 pts"]
    legend = [t.name for t in fig.data if isinstance(t, go.Bar) and t.showlegend is not False]
    assert legend == ["source-only", "adapted: better", "adapted: unchanged (< 0.05 pts)"]


def test_a_change_within_chance_is_sand_as_the_compare_text_says_not_better_or_worse() -> None:
    """A rise of 1 sample of 30 (McNemar p = 1.0) was a green "adapted: better" bar while the Compare
    page's text called it within chance: now one rule colours it sand, a fall within chance too."""
    tests = {
        "one more right": PairedChange(b=0, c=1, n=30),  # p = 1.0
        "nine more right": PairedChange(b=0, c=9, n=30),  # p = 2 / 2^9 = 0.0039: beyond chance
        "two more wrong": PairedChange(b=2, c=0, n=30),  # p = 0.5
        "older run": None,  # no stored test: its colour as before
    }
    before = dict.fromkeys(tests, 0.5)
    after = {"one more right": 16 / 30, "nine more right": 24 / 30, "two more wrong": 13 / 30}
    after["older run"] = 16 / 30
    fig = figures.accuracy_vs_baseline(after, before, paired=tests)
    adapted = fig.data[1]
    assert adapted.marker.color[0] != figures.GOOD and adapted.marker.color[2] != figures.BAD
    sand = palette.WITHIN_CHANCE
    assert list(adapted.marker.color) == [sand, figures.GOOD, sand, figures.GOOD]
    assert [c[1] for c in adapted.customdata] == [
        "+3.3 pts, within chance", "+30.0 pts", "-6.7 pts, within chance", "+3.3 pts"
    ]  # fmt: skip
    legend = [t.name for t in fig.data if isinstance(t, go.Bar) and t.showlegend is not False]
    assert legend == ["source-only", "adapted: better", "adapted: within chance (McNemar p ≥ 0.05)"]
    # the same verdict as the Compare page's words for each run
    said = [described_change(after[r], before[r], t, brief=True) for r, t in tests.items()]
    assert [c == sand for c in adapted.marker.color] == ["(within chance)" in s for s in said]
    assert sand not in (figures.GOOD, figures.BAD, figures.NEUTRAL)


def test_learning_curves_split_loss_and_accuracy() -> None:
    rows = [
        {"epoch": 1, "loss": 1.0, "target_accuracy": 0.5, "stage": "baseline"},
        {"epoch": 2, "loss": 0.5, "target_accuracy": 0.7, "target_changed": 0.1, "stage": "adapt"},
    ]
    fig = curves.learning_curves({"run": rows})
    axes = {t.name: t.xaxis for t in fig.data}
    assert axes == {"training loss": "x", "target accuracy": "x2", "target changed": "x2"}  # shares right
    assert {shape.x0 for shape in fig.layout.shapes} == {1.5}  # adaptation starts after epoch 1
    two = curves.learning_curves({"a": rows, "b": rows})
    assert "a · training loss" in {t.name for t in two.data}
    titles = [a.text for a in fig.layout.annotations[:2]]
    assert titles == ["Loss", "Target accuracy ·<br>predictions changed"]


def test_a_loss_below_0_says_why_in_its_panels_title() -> None:
    """QA: bnm's or im's run drew its loss down to -0.5 under "Loss" with no word why; the terms a run
    maximises count negative in its training loss."""
    rows = [{"epoch": 1, "loss": 0.4, "stage": "baseline"}, {"epoch": 2, "loss": -0.5, "stage": "adapt"}]
    fig = curves.learning_curves({"run": rows})
    assert fig.layout.annotations[0].text == "Loss (terms it<br>maximises count < 0)"


def test_a_long_runs_curves_tick_every_few_epochs_not_every_one() -> None:
    """QA: a tick per epoch of a 250-epoch run merged into a dark band under both panels; at 1000 px,
    12 ticks of a done 240-epoch run still did (each panel about 115 px wide). Ticks step 1, 2, 5, 10,
    20, 50, ... epochs, at most 6 of them; a run of up to 6 epochs keeps one per epoch."""
    assert [curves.epoch_step(n) for n in (6, 10, 13, 25, 61, 250, 1000)] == [1, 2, 5, 5, 20, 50, 200]
    long = [{"epoch": e, "loss": 1.0 / e, "stage": "adapt"} for e in range(1, 251)]
    fig = curves.learning_curves({"run": long})
    assert (fig.layout.xaxis.dtick, fig.layout.xaxis2.dtick) == (50, 50)
    short = curves.learning_curves({"run": long[:6]})
    assert short.layout.xaxis.dtick == 1


def test_thin_keeps_the_ends_and_every_buckets_extremes_within_the_limit() -> None:
    """500 epochs drawn from at most 200 points: the first and last, each bucket's minimum and maximum
    (so a one-epoch spike and dip and the curve's extremes stay); a short curve keeps every point."""
    values = [1.0 / e for e in range(1, 501)]
    values[137], values[401] = 5.0, -1.0  # a spike and a dip, one epoch each
    kept = curve_points.thin(values, 200)
    assert len(kept) <= 200 and kept == sorted(set(kept))
    assert kept[0] == 0 and kept[-1] == 499 and {137, 401} <= set(kept)
    assert curve_points.thin(values[:200], 200) == list(range(200))
    nan = [float("nan")] * 30 + [0.5] * 30
    assert len(curve_points.thin(nan, 10)) <= 10 and 0 in curve_points.thin(nan, 10)  # the gap stays
    with pytest.raises(ValueError, match="at least 4 points"):
        curve_points.thin(values, 3)


def test_a_500_epoch_curve_is_drawn_from_its_thinned_points_without_markers() -> None:
    rows = [{"epoch": e, "loss": 1.0 / e, "stage": "adapt"} for e in range(1, 501)]
    rows[249]["loss"] = 9.0  # a divergence at epoch 250
    (loss,) = curves.learning_curves({"run": rows}).data
    assert len(loss.x) <= curve_points.CURVE_POINTS and (loss.x[0], loss.x[-1]) == (1, 500)
    assert 9.0 in loss.y and loss.mode == "lines"
    (short,) = curves.learning_curves({"run": rows[:10]}).data
    assert list(short.x) == list(range(1, 11)) and short.mode == "lines+markers"


def test_metrics_before_after_has_one_panel_per_metric() -> None:
    before = {"dann": {"mmd2": 0.3, "coral": 1.0}}
    fig = gap_figure.metrics_before_after(before, {"dann": {"mmd2": 0.1, "coral": 0.4}})
    bars = [t for t in fig.data if t.showlegend is False]
    assert [(t.offsetgroup, t.xaxis, t.y[0]) for t in bars] == [
        ("before", "x", 0.3),
        ("after", "x", 0.1),
        ("before", "x2", 1.0),
        ("after", "x2", 0.4),
    ]
    assert [t.name for t in fig.data if t.showlegend is not False] == ["before (each run's own)", "dann"]


def test_confusion_rows_are_normalised() -> None:
    fig = class_figures.confusion_heatmap(np.array([[3, 1], [0, 0]]), ["a", "b"])
    assert np.allclose(np.asarray(fig.data[0].z), [[0.75, 0.25], [0.0, 0.0]])


def test_pick_samples_spreads_over_classes_and_is_seeded() -> None:
    y = torch.tensor([0] * 50 + [1] * 5 + [2] * 5)
    picked = thumbnails.pick_samples(y, len(y), 9, seed=1)
    assert sorted(y[picked].tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert np.array_equal(picked, thumbnails.pick_samples(y, len(y), 9, seed=1))
    assert len(thumbnails.pick_samples(None, 4, 10)) == 4


@pytest.mark.parametrize("channels", [1, 3])
def test_thumbnail_grid_size(channels: int) -> None:
    images = torch.rand(10, channels, 28, 28)
    grid = thumbnails.thumbnail_grid(images, ["7"] * 10, columns=4, cell=20, pad=2)
    line, gap = thumbnails.LINE_HEIGHT, thumbnails.CAPTION_GAP
    assert grid.size == (4 * 22 + 2, 3 * (20 + gap + line + 2) + 2)
    two_lines = thumbnails.thumbnail_grid(images, [EVIL] * 10, columns=4, cell=20, pad=2)
    assert two_lines.size == (4 * 22 + 2, 3 * (20 + gap + 2 * line + 2) + 2)
    bare = thumbnails.thumbnail_grid(images, None, columns=4, cell=20, pad=2)
    assert bare.size == (4 * 22 + 2, 3 * (20 + 2) + 2)  # no captions, no gap


def test_captions_keep_clear_of_the_tiles() -> None:
    """QA helper-117: Predict's least-confident captions ran into the images above them once the grid
    was scaled to the page; 3 clear pixels at least separate a tile from its caption's ink, and the
    caption's ink from the next row's tile."""
    cell, pad = 56, 3
    captions = ["84% star", "100% star", "59% square", "70% circle"] * 5
    grid = thumbnails.thumbnail_grid(torch.ones(20, 3, 28, 28), captions, columns=10, cell=cell, pad=pad)
    alpha = np.asarray(grid.convert("RGBA"))[:, :, 3]
    row = (grid.height - pad) // 2  # one row: tile, gap, caption, pad
    band = alpha[pad + cell : pad + row]  # between the first row's tiles and the second's
    inked = np.nonzero((band > 0).any(axis=1))[0]
    assert len(inked) and inked[0] >= 3  # clear rows under the tile
    assert len(band) - 1 - inked[-1] >= 3  # and above the next tile


def test_thumbnails_read_on_light_and_dark_pages() -> None:
    """Between the tiles the grid is transparent (the page shows through, light or dark) and its
    captions keep a readable contrast on both of Streamlit's backgrounds."""
    grid = thumbnails.thumbnail_grid(torch.zeros(4, 1, 28, 28), ["100%"] * 4, columns=4, cell=20, pad=2)
    pixels = np.asarray(grid.convert("RGBA"))
    assert pixels[0, 0, 3] == 0
    captions = pixels[22 : 22 + thumbnails.LINE_HEIGHT, 2:22].reshape(-1, 4)
    ink = {tuple(int(v) for v in p) for p in captions if p[3] >= 240}  # the glyphs' cores (antialiased)
    assert ink
    assert min(contrast(p, page) for p in ink for page in PAGES) > 3.5


def test_explicit_figure_colours_suit_light_and_dark_pages() -> None:
    """The app recolours a figure's layout for its theme (Streamlit's chart theme), not the colours
    set here: the UMAP frame must stay faint on both pages, the label-shift error bars visible."""
    umap = umap_figure.umap_scatter(np.zeros((2, 2)), ["source", "target"])
    assert all(1.2 < contrast(umap.layout.xaxis.linecolor, page) < 3 for page in PAGES)
    estimate = random_label_shift()
    fig = explain_figures.class_proportions_figure(estimate)
    inherited = fig.layout.template.data.bar[0].error_x.color  # what a bar without its own colour gets
    colours = {bar.error_x.color or inherited for bar in fig.data if bar.error_x.array is not None}
    assert len(colours) == 1 and min(contrast(c, page) for c in colours for page in PAGES) > 2.5


def test_heatmap_zeros_are_the_page_and_their_ends_stay_strong_on_light_and_dark_pages() -> None:
    """A confusion matrix's empty cells and the mean difference's zero are see-through, so on either
    page they are the page itself (before: Blues' and RdBu's near-white, a white block on a dark page);
    a full row share and both ends of the difference stay coloured on both pages, the sign in its hue,
    no grid line runs through the see-through cells, and the colour bar says what the colours mean."""
    from tlcore.explain.mean_images import MeanImages  # noqa: PLC0415

    confusion = class_figures.confusion_heatmap(np.array([[3, 0], [1, 1]]), ["a", "b"])
    difference = np.array([[0.0, 0.4], [-0.2, 0.0]])
    images = MeanImages(np.zeros((2, 2, 1)), np.zeros((2, 2, 1)), difference, 10, 10)
    means = explain_figures.mean_images_figure(images)
    (share,), heatmap = confusion.data, means.data[2]
    assert heatmap.zmin == -heatmap.zmax  # so the scale's middle is a difference of 0
    zeros = [share.colorscale[0][1], *(colour for at, colour in heatmap.colorscale if at == 0.5)]
    assert len(zeros) >= 2 and all(contrast(c, page) == pytest.approx(1.0) for c in zeros for page in PAGES)
    negative, positive = heatmap.colorscale[0][1], heatmap.colorscale[-1][1]
    for end in (share.colorscale[-1][1], negative, positive):
        assert min(contrast(end, page) for page in PAGES) > 3, end
    assert rgba(positive)[0] > 2 * rgba(positive)[2] and rgba(negative)[2] > 2 * rgba(negative)[0]
    axes = [confusion.layout.xaxis, confusion.layout.yaxis, means.layout.xaxis3, means.layout.yaxis3]
    assert [axis.showgrid for axis in axes] == [False] * 4
    assert list(heatmap.colorbar.ticktext) == ["-0.40 darker", "0 same", "+0.40 lighter"]


def test_captions_keep_the_file_name() -> None:
    """A sample id too wide for its cell keeps its end (the file name), never only its folder."""
    assert thumbnails.caption_lines("batch2/scan_035.png", 71) == ["batch2/", "scan_035.png"]
    deep = thumbnails.caption_lines("a/b/c/very/deep/folder/scan_035.png", 71)
    assert deep[1] == "scan_035.png" and deep[0].startswith("…") and deep[0].endswith("folder/")
    narrow = thumbnails.caption_lines("batch2/scan_035.png", 55)
    assert "".join(narrow) == "batch2/scan_035.png"  # broken where its end fits, nothing lost
    assert thumbnails.caption_lines("99%", 20) == ["99%"]


def test_report_is_self_contained_and_escapes_user_strings() -> None:
    fig = figures.accuracy_vs_baseline({EVIL: 0.4}, {EVIL: 0.5})
    sections = [
        report.Section(EVIL, note=EVIL, table=[{"run": EVIL, "acc": 0.5}], figure=fig, flags=[EVIL]),
        report.Section("second", figure=figures.per_class_gap({"a": 1.0})),
    ]
    text = report.render_report(EVIL, EVIL, sections)
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count('class="plotly-graph-div"') == 2
    assert "<script src=" not in text  # plotly.js is inlined, never fetched
    assert len(text) > 1_000_000


def test_a_long_run_label_wraps_the_confusion_title() -> None:
    """Confusion matrices share a row: a long run label breaks between its methods, never cut off."""
    label = "deep_coral+im+fixmatch+shot_pl+adabn · d3b677"
    fig = class_figures.confusion_heatmap(np.eye(2), ["a", "b"], f"Confusion: {label}")
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) > 1 and all(len(line) <= figures.TITLE_WRAP for line in lines)
    assert " ".join(lines).replace("+ ", "+") == f"Confusion: {label}"
    assert fig.layout.margin.t >= class_figures.TITLE_PAD + figures.TITLE_LINE * len(lines)
    short = class_figures.confusion_heatmap(np.eye(2), ["a", "b"], "Confusion: dann · 123456")
    assert "<br>" not in short.layout.title.text


def test_mean_image_panels_have_short_titles() -> None:
    """Three panels side by side: long spec names go to the figure's title, not above each panel."""
    from tlcore.explain.mean_images import MeanImages  # noqa: PLC0415
    from tlcore.views.explain_figures import mean_images_figure  # noqa: PLC0415

    images = MeanImages(np.zeros((4, 4, 1)), np.zeros((4, 4, 1)), np.zeros((4, 4)), 2000, 1797)
    fig = mean_images_figure(images, "upload:scans_from_the_archive.zip:invert=1", "digits")
    panels = [a.text for a in fig.layout.annotations]
    assert panels == ["source (2,000)", "target (1,797)", "target - source"]
    assert "scans_from_the_archive" in fig.layout.title.text


def test_the_difference_frame_hugs_the_image_below_its_title() -> None:
    """The difference panel's frame was its axes' lines (showline, mirror): Streamlit's theme pads the
    axes past the image, so the frame stood off the image and its top line ran through the panel's
    title "target - source". Now it is a rectangle on the image's own edges (pixel centres ± 0.5)."""
    from tlcore.explain.mean_images import MeanImages  # noqa: PLC0415

    images = MeanImages(np.zeros((3, 5, 1)), np.zeros((3, 5, 1)), np.zeros((3, 5)), 10, 10)
    fig = explain_figures.mean_images_figure(images)
    assert not fig.layout.xaxis3.showline and not fig.layout.yaxis3.showline
    (frame,) = fig.layout.shapes
    assert (frame.type, frame.xref, frame.yref) == ("rect", "x3", "y3")
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (-0.5, 4.5, -0.5, 2.5)
    assert frame.line.color == figures.FRAME


def test_umap_scatter_says_each_points_sample_id_on_hover_escaped() -> None:
    """QA helper-249: the hover said the point's row ("sample 52"), not the sample's id."""
    groups = ["source", "target", "target"]
    fig = umap_figure.umap_scatter(np.zeros((3, 2)), groups, names=["a.png", EVIL, "7"])
    assert fig.data[1].hovertemplate == "target<br>sample id %{text}<extra></extra>"
    assert list(fig.data[1].text) == ["&lt;script&gt;alert(1)&lt;/script&gt;", "7"]
    assert list(fig.data[1].customdata) == [1, 2]  # what a selection maps back by
    plain = umap_figure.umap_scatter(np.zeros((2, 2)), ["source", "target"])  # no ids: the row
    assert plain.data[0].hovertemplate == "source<br>sample %{customdata}<extra></extra>"
