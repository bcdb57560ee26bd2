"""Pictures of an explanation: mean images, the difference map, the findings, the drifted columns'
shares of the gap, the class proportions (pure; no Streamlit).

:func:`mean_images_figure` and :func:`findings_figure` are Plotly figures for the Diagnose page and
the HTML report; :func:`mean_image_pngs` renders the same arrays as PNG images for the report.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from tlcore.explain.columns import ColumnDrift
from tlcore.explain.findings import MILD, STRONG, Finding
from tlcore.explain.mean_images import MeanImages
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate
from tlcore.views.chart_text import category_ticks
from tlcore.views.figures import (
    BAD,
    FRAME,
    GOOD,
    LAYOUT,
    LEGEND_BELOW,
    NEUTRAL,
    TITLE_WRAP,
    TOP_TITLE,
    fade,
    finish,
    safe,
)
from tlcore.views.palette import PALETTE, readable
from tlcore.views.thumbnails import to_uint8

# amber: #e8a33a had a contrast of 2.2 on the light page, readable() darkens it to 3
SEVERITY_COLOURS = {"none": NEUTRAL, "mild": readable("#e8a33a"), "strong": BAD}
PNG_SCALE = 6  # pixels per image pixel in the report's PNGs
PANEL_TITLES = 10  # px the mean images' panel titles take above the panels, besides the figure's title
BAR_PX, CLASS_GAP_PX = 6, 10  # the class proportions' bars: px a bar, px between two classes' bars
NEGATIVE, POSITIVE = PALETTE[0], BAD  # blue: the target is darker there, red: lighter
# see-through at 0 (the page shows, light or dark), each sign's colour growing opaque towards its end
DIFFERENCE_SCALE = [
    [0.0, fade(NEGATIVE, 1)],
    [0.5, fade(NEGATIVE, 0)],
    [0.5, fade(POSITIVE, 0)],
    [1.0, fade(POSITIVE, 1)],
]


def _limit(difference: np.ndarray) -> float:
    """The colour scale's half-width: the largest absolute difference (at least 0.01)."""
    return max(float(np.abs(difference).max(initial=0.0)), 0.01)


def mean_images_figure(images: MeanImages, source: str = "source", target: str = "target") -> go.Figure:
    """Source mean, target mean and target - source (red: the target is lighter there, blue: darker,
    see-through where they agree; a faint frame on the image's edges holds it). The panels' titles are
    short (a spec can be long; the figure's title names both)."""
    titles = [f"source ({images.n_source:,})", f"target ({images.n_target:,})", "target - source"]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.04)
    for col, mean in ((1, images.source), (2, images.target)):
        rgb = to_uint8(mean.transpose(2, 0, 1)[None])[0]
        fig.add_trace(go.Image(z=rgb, hovertemplate="x %{x}, y %{y}<extra></extra>"), row=1, col=col)
    limit = _limit(images.difference)
    fig.add_trace(
        go.Heatmap(
            z=images.difference,
            colorscale=DIFFERENCE_SCALE,
            zmin=-limit,
            zmax=limit,
            colorbar={
                "len": 0.9,
                "outlinecolor": FRAME,
                "tickvals": [-limit, 0.0, limit],
                "ticktext": [f"{-limit:.2f} darker", "0 same", f"+{limit:.2f} lighter"],
            },
            hovertemplate="x %{x}, y %{y}: %{z:.3f}<extra></extra>",
        ),
        row=1,
        col=3,
    )
    fig.update_yaxes(autorange="reversed", row=1, col=3)
    # no grid through the see-through zero; the faint frame is drawn on the image's own edges (data
    # coordinates): axis lines follow the panel, which Streamlit's theme pads past the image, and
    # their top line then ran through the panel's title
    fig.update_xaxes(showgrid=False, zeroline=False, constrain="domain", row=1, col=3)
    fig.update_yaxes(showgrid=False, zeroline=False, constrain="domain", row=1, col=3)
    height, width = images.difference.shape
    fig.add_shape(
        type="rect",
        x0=-0.5,
        x1=width - 0.5,
        y0=-0.5,
        y1=height - 0.5,
        line={"color": FRAME, "width": 1},
        row=1,
        col=3,
    )
    for col in (1, 2, 3):
        fig.update_xaxes(showticklabels=False, row=1, col=col)
        fig.update_yaxes(showticklabels=False, scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col)
    title = f"Mean images: {source} (source) and {target} (target)"
    fig = finish(fig, title, 340, wrap=48)  # a long spec wraps, a title line at TITLE_LINE px
    # from the top down: centred in the top margin, a third line touched the panels' titles (QA)
    fig.update_layout(margin={"t": fig.layout.margin.t + PANEL_TITLES}, title=TOP_TITLE)
    fig.update_annotations(font_size=12)  # the panels' titles: narrow columns keep them apart
    return fig


def findings_figure(findings: Sequence[Finding], title: str = "What differs (standardised)") -> go.Figure:
    """One bar per finding: its standardised difference, coloured by severity, with the thresholds."""
    ordered = sorted(findings, key=lambda f: abs(f.difference))
    fig = go.Figure(
        go.Bar(
            x=[f.difference for f in ordered],
            y=[safe(f.label) for f in ordered],
            orientation="h",
            marker_color=[SEVERITY_COLOURS[f.severity] for f in ordered],
            customdata=[safe(f.message) for f in ordered],
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    for edge in (-STRONG, -MILD, MILD, STRONG):
        fig.add_vline(x=edge, line={"dash": "dot", "color": NEUTRAL, "width": 1})
    fig.update_layout(**LAYOUT, title={"text": safe(title), "x": 0}, height=140 + 26 * len(ordered))
    # two lines: on one, wider than the plot beside the features' names, it ran off the figure at 1024 px
    axis = "target - source, in standard deviations<br>(native size: log2 pixel ratio)"
    fig.update_layout(margin={"b": LAYOUT["margin"]["b"] + 20})
    fig.update_xaxes(title=axis)
    return fig


def _png(rgb: np.ndarray) -> bytes:
    image = Image.fromarray(rgb)
    image = image.resize((image.width * PNG_SCALE, image.height * PNG_SCALE), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def difference_rgba(difference: np.ndarray) -> np.ndarray:
    """``H x W`` differences as ``H x W x 4`` uint8, :data:`DIFFERENCE_SCALE` as pixels: red where
    positive, blue where negative, opaque at max|d| and see-through at 0 (on white, a white-centred map)."""
    share = np.clip(difference / _limit(difference), -1.0, 1.0)[..., None]
    colour = np.where(share >= 0, list(bytes.fromhex(POSITIVE[1:])), list(bytes.fromhex(NEGATIVE[1:])))
    return (np.concatenate([colour, 255.0 * np.abs(share)], axis=-1) + 0.5).astype(np.uint8)


def mean_image_pngs(
    images: MeanImages, source: str = "source", target: str = "target"
) -> list[tuple[str, bytes]]:
    """``(caption, PNG bytes)`` of the source mean, the target mean and the difference map."""
    means = [to_uint8(m.transpose(2, 0, 1)[None])[0] for m in (images.source, images.target)]
    return [
        (f"{source} mean of {images.n_source} images", _png(means[0])),
        (f"{target} mean of {images.n_target} images", _png(means[1])),
        (
            "target - source (red: lighter in the target, blue: darker)",
            _png(difference_rgba(images.difference)),
        ),
    ]


def class_proportions_figure(estimate: LabelShiftEstimate) -> go.Figure:
    """How the labels moved: the source's class proportions beside the target's as EM and BBSE read
    them without target labels (bars with their bootstrap bands) and, when labelled, the truth.

    Bars run across, one row of bars per class, names down the left (every one, cut to an ellipsis,
    whole on hover) and the figure grows with the classes: QA's 20 classes' labels, tilted under
    upright bars, squeezed the plot to 60 px, lost their starts and, at 30, every second name."""
    classes = [safe(c) for c in estimate.classes]

    def bars(
        name: str, shares: Sequence[float], colour: str, error: dict[str, object] | None = None
    ) -> go.Bar:
        return go.Bar(
            name=name,
            x=shares,
            y=classes,
            orientation="h",
            marker_color=colour,
            error_x=error,
            hovertemplate=f"%{{y}}<br>{name}: %{{x:.1%}}<extra></extra>",
        )

    fig = go.Figure(bars("source", estimate.source_prior, NEUTRAL))
    for name, prior, colour in (("EM", estimate.em, PALETTE[0]), ("BBSE", estimate.bbse, PALETTE[1])):
        error = None
        if prior.low is not None and prior.high is not None:
            error = {
                "type": "data",
                "color": NEUTRAL,  # the template's navy is lost on a dark page
                "array": [h - p for p, h in zip(prior.priors, prior.high, strict=True)],
                "arrayminus": [p - lo for p, lo in zip(prior.priors, prior.low, strict=True)],
            }
        fig.add_trace(bars(f"target ({name})", prior.priors, colour, error))
    if estimate.true_prior is not None:
        fig.add_trace(bars("target (true)", estimate.true_prior, GOOD))
    title = "Class proportions" if estimate.trusted else "Class proportions: estimates not to be trusted"
    plot = len(classes) * (BAR_PX * len(fig.data) + CLASS_GAP_PX)
    top, bottom = LAYOUT["margin"]["t"], 110  # below: the axis's ticks and title, then the legend
    finish(fig, title, height=plot + top + bottom, wrap=TITLE_WRAP)  # in half the page: cut at 1024 px (QA)
    fig.update_layout(barmode="group")
    legend = LEGEND_BELOW | {"y": -60 / plot}  # four entries: above, they covered the title
    fig.update_layout(legend=legend, margin={"b": bottom})
    fig.update_xaxes(title_text="share of samples", tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(**category_ticks(estimate.classes), autorange="reversed")  # the first class on top
    return fig


def columns_figure(
    columns: Sequence[ColumnDrift], title: str = "Drifted columns: share of the gap"
) -> go.Figure:
    """One bar per checked column (``columns`` in the order to show, largest first): its share of the
    gap, coloured by severity, its numbers on hover."""
    shown = [c for c in columns if c.share is not None][::-1]  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            x=[c.share for c in shown],
            y=[safe(c.name) for c in shown],
            orientation="h",
            marker_color=[SEVERITY_COLOURS[c.severity] for c in shown],
            customdata=[safe(c.message) for c in shown],
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(**LAYOUT, title={"text": safe(title), "x": 0}, height=120 + 26 * len(shown))
    fig.update_xaxes(title="share of the gap (MMD² removed with the column matched)", tickformat=".0%")
    return fig
