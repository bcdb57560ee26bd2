"""The UMAP scatter of a pair's features: WebGL, one trace per group, selectable samples; a legend too
wide for one row above the map at the narrowest the chart is drawn goes below it in two columns, the
figure growing by its rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from tlcore.views.chart_text import MIN_WIDTH, shorten, text_px
from tlcore.views.explore import SAMPLE_ID
from tlcore.views.figures import FRAME, LAYOUT, LEGEND_SYMBOL, SIDES, colour_map, finish, safe

BELOW_COLUMNS, BELOW_ROW, BELOW_GAP = 2, 20, 8  # a legend below the map: entries a row, px a row, px above


def umap_scatter(
    coords: np.ndarray,
    groups: Sequence[str],
    *,
    index: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    colours: Mapping[str, str] | None = None,
    symbols: Sequence[str] | None = None,
    title: str = "UMAP of the features",
    height: int = 460,
) -> go.Figure:
    """WebGL scatter of 2-D ``coords`` (``N x 2``), one trace per group, in ``colours`` order.

    ``index`` (default ``0..N-1``) rides along as ``customdata`` so a box/lasso selection maps
    back to samples. ``names``: each point's :data:`~tlcore.views.explore.SAMPLE_ID`, said on hover
    (a table's ids, an upload's file names; without, the hover says its ``index``). ``symbols``
    (``"source"``/``"target"`` per point) sets the marker shape.
    """
    coords = np.asarray(coords, dtype=float)
    labels = np.asarray([str(g) for g in groups])
    ids = np.arange(len(coords)) if index is None else np.asarray(index)
    said = None if names is None else np.asarray([safe(n) for n in names])  # shown, not read
    shapes = None if symbols is None else np.asarray([str(s) for s in symbols])
    colours = colours or colour_map(sorted(set(labels.tolist())))
    order = [g for g in colours if g in set(labels.tolist())]
    fig = go.Figure()
    for group in order:
        mask = labels == group
        marker: dict[str, object] = {"size": 5, "color": colours[group], "opacity": 0.75}
        if shapes is not None:
            marker["symbol"] = np.where(shapes[mask] == "target", "diamond", "circle").tolist()
        fig.add_trace(
            go.Scattergl(
                x=coords[mask, 0],
                y=coords[mask, 1],
                mode="markers",
                name=safe(shorten(group)),
                marker=marker,
                customdata=ids[mask],  # numbers: what a selection maps back by
                text=None if said is None else said[mask],
                hovertemplate=f"{safe(group)}<br>"
                + ("sample %{customdata}" if said is None else f"{SAMPLE_ID} %{{text}}")
                + "<extra></extra>",
            )
        )
    frame = {"showticklabels": False, "title": None, "zeroline": False, "showgrid": False}
    fig.update_xaxes(**frame, showline=True, mirror=True, linecolor=FRAME)
    fig.update_yaxes(**frame, showline=True, mirror=True, linecolor=FRAME)
    fig = finish(fig, title, height).update_layout(dragmode="lasso")
    if legend_px(order) <= MIN_WIDTH - SIDES:
        return fig.update_layout(legend={"y": 1.02})  # clear of the frame's top line
    # QA: 20 classes above the map took 11 rows, over the title, and squeezed the map to 170 px; 10
    # digits took two rows over the title of a 540 px chart
    below = BELOW_ROW * -(-len(order) // BELOW_COLUMNS) + BELOW_GAP
    plot = height - LAYOUT["margin"]["t"] - LAYOUT["margin"]["b"]  # px of the map, kept
    legend = {"orientation": "h", "entrywidth": 1 / BELOW_COLUMNS, "entrywidthmode": "fraction"}
    legend |= {"yanchor": "top", "y": -BELOW_GAP / plot, "xanchor": "left", "x": 0}
    return fig.update_layout(
        legend=legend, height=height + below, margin={"b": LAYOUT["margin"]["b"] + below}
    )


def legend_px(groups: Sequence[str]) -> float:
    """About how many px ``groups``' legend takes in one row: each name (:func:`shorten`-ed) at the
    figure's font and :data:`~tlcore.views.figures.LEGEND_SYMBOL` for its marker."""
    size = LAYOUT["font"]["size"]
    return sum(text_px(safe(shorten(group)), size) + LEGEND_SYMBOL for group in groups)
