"""The Domain gap chart of Compare and its report: one panel per gap measure, each run's own gap before
adapting (grey) beside its gap after (the run's colour); from six runs the bars run across, the runs
named down the left (:mod:`tlcore.views.figures` for the shared layout)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tlcore.views import chart_text
from tlcore.views.chart_text import PANEL_SIZE, panel_titles, safe, wrap_words
from tlcore.views.figures import (
    LAYOUT,
    LEGEND_BELOW,
    LEGEND_SYMBOL,
    SUBTITLE_WRAP,
    TITLE_WRAP,
    finish,
    left_margin,
    run_xy,
)
from tlcore.views.palette import NEUTRAL, run_colour
from tlcore.views.run_names import short_label

BAR_PX, GAP_BARGAP = 8, 0.15  # px a bar of a gap panel needs to read as a bar; the share between runs
LEGEND_WRAP = 24  # characters a line of a run's legend entry (``deep_coral+im+fixmatch+`` ...)
# px of a gap panel of bars across, 2 x ticks in it (chart_text.value_ticks; 3 took 95 px: 4 at 90 px,
# 0.001 touched 0.002): two per-run charts of 20 runs fit side by side in a 1280 px window (QA)
GAP_PANEL = 70
GAP_TICK = "0.005"  # the longest y tick a gap panel writes (ticks past 1e-3 take an exponent, "3e-6")


def metrics_before_after(
    before: Mapping[str, Mapping[str, float]],
    after: Mapping[str, Mapping[str, float]],
    title: str = "Domain gap",
    subtitle: str = "",
) -> go.Figure:
    """One panel per metric; in each, every run's own gap before adaptation (grey) beside its gap
    after it (the run's colour). ``before`` and ``after`` are ``{run label: {metric: value}}``: runs of
    different pairs or seeds measured different gaps before adapting. ``subtitle``: a line under the
    title (what the gaps were measured on)."""
    runs = list(dict.fromkeys([*before, *after]))
    metrics = list(dict.fromkeys(m for values in (*before.values(), *after.values()) for m in values))
    names = [safe(run) for run in runs]
    colours = [run_colour(i) for i in range(len(runs))]
    across = chart_text.runs_across(len(runs))  # the runs named down the left, not in the legend
    # each run's legend entry named as the ranking table names it; whole on the bars' hover
    entries = ["<br>".join(safe(line) for line in wrap_words(short_label(run), LEGEND_WRAP)) for run in runs]
    each = [("after (each run's colour)", colours[0])] if across else zip(entries, colours, strict=True)
    legend = [("before (each run's own)", NEUTRAL), *each]
    # px of the plot: each run's two bars in every panel (across: a panel's x ticks), the next panel's y
    # ticks between two panels (at 262 px CORAL's ticks touched MMD²'s bars), the widest legend entry
    size, panels = LAYOUT["font"]["size"], max(len(metrics), 1)
    ticks, value = chart_text.text_px(GAP_TICK, size) + chart_text.TEXT_GAP, "x" if across else "y"
    if across:  # the panels share the names down the left: between two, the ends of their x ticks
        slot, ticks = GAP_PANEL, 2 * chart_text.TEXT_GAP
    else:
        slot = len(runs) * 2 * BAR_PX / (1 - GAP_BARGAP)
    bars = panels * slot + (panels - 1) * ticks
    plot = max(bars, *(chart_text.text_px(name, size) + LEGEND_SYMBOL for name, _ in legend))
    fig = make_subplots(
        rows=1,
        cols=panels,
        subplot_titles=[safe(m) for m in metrics],
        horizontal_spacing=ticks / plot,
        shared_yaxes=across,
    )
    panel_lines = panel_titles(fig)
    for col, metric in enumerate(metrics, start=1):
        for group, values, colour in (("before", before, NEUTRAL), ("after", after, colours)):
            fig.add_trace(
                go.Bar(
                    **run_xy(names, [values.get(run, {}).get(metric, np.nan) for run in runs], across),
                    orientation="h" if across else "v",
                    name=group,
                    offsetgroup=group,
                    showlegend=False,
                    marker_color=colour,
                    customdata=names,
                    hovertemplate=f"%{{customdata}} {group}: %{{{value}:.4g}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        if across:
            shown = [v.get(metric, np.nan) for v in (*before.values(), *after.values())]
            fig.update_xaxes(tickvals=chart_text.value_ticks(shown), row=1, col=col)
    # legend entries only: grey is each run's own gap before, a colour its gap after
    for name, colour in legend:
        fig.add_trace(go.Bar(x=[None], y=[None], name=name, marker_color=colour))
    values, rows = (fig.update_xaxes, fig.update_yaxes) if across else (fig.update_yaxes, fig.update_xaxes)
    values(exponentformat="e", rangemode="tozero")
    names_px = 0.0
    if across:
        axis, names_px = chart_text.run_rows(runs)
        rows(**axis)  # make_subplots names the shared rows on the first panel only
    else:
        rows(showticklabels=False, type="category")
    height = chart_text.RUN_ROW * len(runs) + 130 if across else 340
    fig = finish(fig, title, height, wrap=TITLE_WRAP)  # it shares a row with the accuracy figure
    legend = LEGEND_BELOW | {"y": -40 / (height - 130)} if across else LEGEND_BELOW  # under the x ticks
    fig.update_layout(legend=legend, barmode="group", bargap=GAP_BARGAP, margin={"b": 70})
    sub = wrap_words(subtitle, SUBTITLE_WRAP) if subtitle else []
    if sub:
        fig.update_layout(title_subtitle_text="<br>".join(safe(line) for line in sub))
    above = (34 + 16 * len(sub) if sub else 0) + PANEL_SIZE * (panel_lines - 1)  # px of subtitle, titles
    fig.update_layout(margin={"t": fig.layout.margin.t + above}, height=fig.layout.height + above)
    return chart_text.set_min_width(fig, left_margin(names_px) + LAYOUT["margin"]["r"] + plot)
