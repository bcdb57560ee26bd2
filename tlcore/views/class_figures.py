"""A run's results per class as Plotly figures: the confusion matrix and per-class target accuracy
(:mod:`tlcore.views.figures` for the shared helpers: colours, safe labels, titles)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from tlcore.views.chart_text import category_ticks
from tlcore.views.figures import FRAME, PALETTE, TITLE_WRAP, fade, finish, safe
from tlcore.views.palette import category_colour

SIDE_BY_SIDE = 12  # classes up to which confusion matrices share a row; more, one a row (QA: 55 px at 30)
CELL = 22  # px of a confusion matrix's row


def confusion_heatmap(
    matrix: np.ndarray,
    classes: Sequence[str],
    title: str = "Confusion matrix",
    rows: Sequence[str] | None = None,
) -> go.Figure:
    """Row-normalised confusion matrix (rows: true class, columns: predicted), counts on hover; the
    title wraps (several matrices share a row). The blue fades to see-through at 0, so empty cells
    are the page's own background, light or dark; no grid shows through them, a faint frame holds them.

    ``rows`` names the matrix's rows when they are a subset of ``classes`` (default: all). Every class
    is named on both axes, cut to an ellipsis (whole on hover), and the figure grows with the rows.
    """
    counts = np.asarray(matrix, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=[safe(c) for c in classes],
            y=[safe(c) for c in (classes if rows is None else rows)],
            customdata=counts.astype(int),
            colorscale=[[0.0, fade(PALETTE[0], 0)], [1.0, fade(PALETTE[0], 1)]],
            zmin=0,
            zmax=1,
            hovertemplate="true %{y} → predicted %{x}: %{z:.0%} (%{customdata})<extra></extra>",
        )
    )
    frame = {"showgrid": False, "showline": True, "mirror": True, "linecolor": FRAME}
    fig.update_xaxes(title="predicted", **frame, **category_ticks(classes))
    fig.update_yaxes(
        title="true", autorange="reversed", **frame, **category_ticks(classes if rows is None else rows)
    )
    return finish(fig, title, 200 + CELL * len(share), wrap=TITLE_WRAP)


def per_class_accuracy(
    accuracy: Mapping[str, Mapping[str, float]], title: str = "Per-class target accuracy"
) -> go.Figure:
    """Grouped bars: ``{run label: {class: accuracy}}``, every class named (cut to an ellipsis)."""
    fig = go.Figure()
    for i, (run, per_class) in enumerate(accuracy.items()):
        fig.add_trace(
            go.Bar(
                x=[safe(c) for c in per_class],
                y=list(per_class.values()),
                name=safe(run),
                marker_color=category_colour(i),
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(
        **category_ticks(list(dict.fromkeys(c for per_class in accuracy.values() for c in per_class)))
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return finish(fig, title, 340)
