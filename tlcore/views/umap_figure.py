"""The UMAP scatter of a pair's features: WebGL, one trace per group, selectable samples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from tlcore.views.figures import FRAME, colour_map, finish, safe


def umap_scatter(
    coords: np.ndarray,
    groups: Sequence[str],
    *,
    index: Sequence[int] | None = None,
    colours: Mapping[str, str] | None = None,
    symbols: Sequence[str] | None = None,
    title: str = "UMAP of the features",
    height: int = 460,
) -> go.Figure:
    """WebGL scatter of 2-D ``coords`` (``N x 2``), one trace per group, in ``colours`` order.

    ``index`` (default ``0..N-1``) rides along as ``customdata`` so a box/lasso selection maps
    back to samples. ``symbols`` (``"source"``/``"target"`` per point) sets the marker shape.
    """
    coords = np.asarray(coords, dtype=float)
    labels = np.asarray([str(g) for g in groups])
    ids = np.arange(len(coords)) if index is None else np.asarray(index)
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
                name=safe(group),
                marker=marker,
                customdata=ids[mask],
                hovertemplate=f"{safe(group)}<br>sample %{{customdata}}<extra></extra>",
            )
        )
    frame = {"showticklabels": False, "title": None, "zeroline": False, "showgrid": False}
    fig.update_xaxes(**frame, showline=True, mirror=True, linecolor=FRAME)
    fig.update_yaxes(**frame, showline=True, mirror=True, linecolor=FRAME)
    fig = finish(fig, title, height)
    fig.update_layout(dragmode="lasso", legend={"y": 1.02})  # clear of the frame's top line
    return fig
