"""Figures of a set of predictions (:class:`tlcore.prediction_summary.PredictionSummary`), as pure
functions."""

from __future__ import annotations

import plotly.graph_objects as go

from tlcore.prediction_summary import PredictionSummary
from tlcore.views.chart_text import category_ticks
from tlcore.views.figures import BAD, GOOD, NEUTRAL, TITLE_WRAP, finish, safe
from tlcore.views.palette import category_colour

HEADROOM = 1.12  # the y axis ends this far above the tallest bar


def headroom(fig: go.Figure) -> float:
    """The top of a bar figure's y axis: :data:`HEADROOM` times its tallest bar (1 when empty)."""
    tallest = max((float(y) for trace in fig.data for y in trace.y), default=0.0)
    return HEADROOM * tallest if tallest > 0 else 1.0


def confidence_histogram(summary: PredictionSummary) -> go.Figure:
    """How sure the model is: the share of samples per confidence bin (max softmax, the
    :data:`~tlcore.prediction_summary.HISTOGRAM_BINS` bins of ``predict --json``), low bins red."""
    edges, counts = summary.histogram()
    centres = (edges[:-1] + edges[1:]) / 2
    colours = [BAD if c < 0.5 else NEUTRAL if c < 0.9 else GOOD for c in centres]
    fig = go.Figure(
        go.Bar(
            x=centres,
            y=counts / max(summary.n_samples, 1),
            width=edges[1] - edges[0],
            marker_color=colours,
            customdata=counts,
            hovertemplate="confidence %{x:.2f}: %{customdata} samples (%{y:.1%})<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="confidence (max softmax)", range=[0, 1])
    fig.update_yaxes(title_text="share of samples", tickformat=".0%", range=[0, headroom(fig)])
    # wrapped: it shares a row with the predicted classes (QA: cut at "(mea" in a 1000 px window)
    title = f"Confidence of {summary.n_samples:,} predictions (mean {summary.mean_confidence:.1%})"
    return finish(fig, title, wrap=TITLE_WRAP)


def predicted_counts(summary: PredictionSummary) -> go.Figure:
    """Samples per predicted class, in the model's class order, each named (a long name cut to an
    ellipsis, whole on hover: QA's 50-character name squeezed the plot)."""
    names = [safe(name) for name in summary.counts]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=list(summary.counts.values()),
            marker_color=[category_colour(i) for i in range(len(names))],
            hovertemplate="%{x}: %{y} samples<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="predicted class", **category_ticks(list(summary.counts)))
    fig.update_yaxes(title_text="samples", range=[0, headroom(fig)])
    return finish(fig, "Predicted classes")
