"""A run's results per class as Plotly figures: the confusion matrix and per-class target accuracy
(:mod:`tlcore.views.figures` for the shared helpers: colours, safe labels, titles)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from tlcore.views.chart_text import (
    MIN_WIDTH,
    NAME_WIDTH,
    RUN_ROW,
    category_ticks,
    run_rows,
    runs_across,
    set_min_width,
    shorten,
    text_px,
    wrap_words,
)
from tlcore.views.figures import (
    FRAME,
    LAYOUT,
    LEGEND_SYMBOL,
    PALETTE,
    SIDES,
    TITLE_LINE,
    TITLE_WRAP,
    TOP_TITLE,
    fade,
    finish,
    safe,
)
from tlcore.views.palette import run_colour

SIDE_BY_SIDE = 12  # classes up to which confusion matrices share a row; more, one a row (QA: 55 px at 30)
CELL = 22  # px of a confusion matrix's row, and the least of its column
TICK_SIZE = 11  # px of a confusion matrix's class names
UPRIGHT_NAME, UPRIGHT_SIZE = 12, 9  # characters and px of its names where they stand upright
COLOURBAR, BAR = 80, 12  # px of a heatmap's colour bar with its ticks; px of the bar itself
TITLE_LINES = 3  # the most lines a confusion matrix's title takes (longer: an ellipsis in its middle)
# px a line of a legend, a subtitle or the class names takes; px of the top margin besides the lines
LINE, TITLE_PAD = 20, 40
# classes up to which each cell of the per-class heatmap writes its accuracy, and its px: a 540 px
# column leaves 27 px a class for 10 beside the runs' names and the colour bar; "100%" took 26 px at
# 10 px in Chromium, touching the cell's edges, about 23 at 9
VALUES_UP_TO, VALUE_SIZE = 10, 9
SCALE = [[0.0, fade(PALETTE[0], 0)], [1.0, fade(PALETTE[0], 1)]]  # 0: the page itself; 1: full blue
MARKED = "bold: a source-only run (no adaptation)"  # the heatmap's subtitle when a row is one
ABSENT = "grey: a class the run's test split lacks"  # and when a cell is empty (QA: blank read as 0%)


def class_names(classes: Sequence[str]) -> tuple[int, int, float]:
    """Characters and px of the class names across a heatmap's columns, and the px the longest takes:
    names wider than a :data:`CELL` column stand upright, :data:`UPRIGHT_NAME` characters at
    :data:`UPRIGHT_SIZE` px (QA: at 30 classes in a 540 px column each column was about 13 px; at
    Plotly's own angle the names were one block)."""
    wide = max((text_px(safe(shorten(str(c))), TICK_SIZE) for c in classes), default=0.0) > CELL
    width, size = (UPRIGHT_NAME, UPRIGHT_SIZE) if wide else (NAME_WIDTH, TICK_SIZE)
    return width, size, max((text_px(safe(shorten(str(c), width)), size) for c in classes), default=0.0)


def title_lines(title: str) -> list[str]:
    """A confusion matrix's ``title`` wrapped at :data:`TITLE_WRAP` characters, at most
    :data:`TITLE_LINES` lines: a longer one keeps its start and its last line (a run label's id), an
    ellipsis between."""
    lines = wrap_words(title, TITLE_WRAP)
    if len(lines) > TITLE_LINES:
        lines = [*lines[: TITLE_LINES - 2], shorten(lines[TITLE_LINES - 2] + " …", TITLE_WRAP), lines[-1]]
    return lines


def confusion_heatmap(
    matrix: np.ndarray,
    classes: Sequence[str],
    title: str = "Confusion matrix",
    rows: Sequence[str] | None = None,
    lines: int | None = None,
) -> go.Figure:
    """Row-normalised confusion matrix (rows: true class, columns: predicted), counts on hover; the
    title's top margin holds ``lines`` lines (matrices in a row line up: the most any of their titles
    takes, :func:`title_lines`), default the lines its own title takes (QA helper-256: three lines kept
    for a title of one left a band of 84 px above each plot). The figure records the px it reads at
    (:func:`~tlcore.views.chart_text.set_min_width`): a page wraps matrices to the next row rather than
    shrink them. The blue fades to see-through at 0, so empty cells are the page's own background,
    light or dark; no grid shows through them, a faint frame holds them.

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
            colorscale=SCALE,
            zmin=0,
            zmax=1,
            hovertemplate="true %{y} → predicted %{x}: %{z:.0%} (%{customdata})<extra></extra>",
        )
    )
    frame = {"showgrid": False, "showline": True, "mirror": True, "linecolor": FRAME}
    width, size, names = class_names(classes)  # upright where wide, and so are the rows' names
    across = {"tickangle": -90 if width == UPRIGHT_NAME else 0, "tickfont_size": size}
    fig.update_xaxes(title="predicted", **frame, **category_ticks(classes, width), **across)
    fig.update_yaxes(
        title="true",
        autorange="reversed",
        tickfont_size=size,
        **frame,
        **category_ticks(classes if rows is None else rows, width),
    )
    fig.update_traces(colorbar_thickness=BAR)
    wrapped = title_lines(title)
    fig = finish(fig, title, 200 + CELL * len(share))
    fig.update_layout(title_text="<br>".join(safe(line) for line in wrapped))
    # QA: three at 10 classes shrank to 169 px, the matrix to 50; titles of 1 and 2 lines misaligned them
    top = TITLE_PAD + TITLE_LINE * max(lines or 0, len(wrapped))
    fig.update_layout(
        height=200 + CELL * len(share) + top - LAYOUT["margin"]["t"],
        margin={"t": top},
        title=TOP_TITLE,
    )
    return set_min_width(fig, CELL * len(classes) + names + SIDES + COLOURBAR)


def per_class_accuracy(
    accuracy: Mapping[str, Mapping[str, float]],
    title: str = "Per-class target accuracy",
    marked: Collection[str] = (),
) -> go.Figure:
    """Grouped bars: ``{run label: {class: accuracy}}``, every class named (cut to an ellipsis); from
    :data:`~tlcore.views.chart_text.ACROSS_FROM` runs (:func:`~tlcore.views.chart_text.runs_across`,
    the rule of the per-run charts), :func:`per_class_heatmap`, ``marked`` its source-only runs (QA:
    at 20 runs, 20 bars a class 3 px wide and a legend of 20 colours)."""
    if runs_across(len(accuracy)):
        return per_class_heatmap(accuracy, title, marked)
    fig = go.Figure()
    for i, (run, per_class) in enumerate(accuracy.items()):
        fig.add_trace(
            go.Bar(
                x=[safe(c) for c in per_class],
                y=list(per_class.values()),
                name=safe(run),
                marker_color=run_colour(i),
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(
        **category_ticks(list(dict.fromkeys(c for per_class in accuracy.values() for c in per_class)))
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig = finish(fig, title, 340)
    # the legend in the top margin, rows for the narrowest chart, under the title (QA: over it at 1000 px)
    rows = legend_rows([safe(run) for run in accuracy], MIN_WIDTH - SIDES)
    top = TITLE_PAD + LINE * rows
    return fig.update_layout(
        height=340 + top - LAYOUT["margin"]["t"],
        margin={"t": top},
        title=TOP_TITLE,
    )


def per_class_heatmap(
    accuracy: Mapping[str, Mapping[str, float]], title: str, marked: Collection[str] = ()
) -> go.Figure:
    """Runs by classes: a row of :data:`~tlcore.views.chart_text.RUN_ROW` px per run, first on top,
    named down the left (:func:`~tlcore.views.chart_text.run_rows`: cut, whole on hover) and in bold
    where ``marked`` (the source-only runs, said under the title); every class named across
    (:func:`class_names`); each cell the run's accuracy on the class, on a colour bar from 0% (the
    page's own background) to 100% (full blue), written in the cell up to :data:`VALUES_UP_TO`
    classes, on hover always; a class a run's test split lacks is grey (:data:`ABSENT`)."""
    runs = list(accuracy)
    classes = list(dict.fromkeys(c for per_class in accuracy.values() for c in per_class))
    shown = len(classes) <= VALUES_UP_TO
    fig = go.Figure(
        go.Heatmap(
            z=[[accuracy[run].get(c, np.nan) for c in classes] for run in runs],
            x=[safe(c) for c in classes],
            y=[safe(run) for run in runs],
            colorscale=SCALE,
            zmin=0,
            zmax=1,
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": "accuracy", "side": "right"}, "tickformat": ".0%", "thickness": BAR},
            texttemplate="%{z:.0%}" if shown else None,
            textfont_size=VALUE_SIZE,
            hovertemplate="%{y}<br>%{x}: %{z:.1%}<extra></extra>",
        )
    )
    absent = [[1.0 if c not in accuracy[run] else np.nan for c in classes] for run in runs]
    if any(cell == 1.0 for row in absent for cell in row):  # 0% is the page's own colour: absent is grey
        fig.add_trace(
            go.Heatmap(
                z=absent,
                x=[safe(c) for c in classes],
                y=[safe(run) for run in runs],
                colorscale=[[0.0, FRAME], [1.0, FRAME]],
                showscale=False,
                xgap=1,
                ygap=1,
                hovertemplate="%{y}<br>%{x}: not in this run's test split<extra></extra>",
            )
        )
    axis, _ = run_rows(runs)
    axis["ticktext"] = [
        f"<b>{tick}</b>" if run in marked else tick for run, tick in zip(runs, axis["ticktext"], strict=True)
    ]
    width, size, below = class_names(classes)
    upright = width == UPRIGHT_NAME
    fig.update_yaxes(**axis, showgrid=False)
    fig.update_xaxes(
        **category_ticks(classes, width), tickangle=-90 if upright else 0, tickfont_size=size, showgrid=False
    )
    bottom = round(below if upright else LINE) + LINE
    notes = [MARKED] * any(run in marked for run in runs) + [ABSENT] * (len(fig.data) > 1)
    top = TITLE_PAD + LINE * (1 + bool(notes))
    fig = finish(fig, title, RUN_ROW * len(runs) + top + bottom)
    if notes:
        fig.update_layout(title_subtitle_text=safe("; ".join(notes)))
    fig.update_layout(
        margin={"t": top, "b": bottom},
        title=TOP_TITLE,
    )
    return fig


def legend_rows(names: Sequence[str], width: float) -> int:
    """The lines a horizontal legend of ``names`` takes in ``width`` px, each entry its name's
    :func:`~tlcore.views.chart_text.text_px` and :data:`~tlcore.views.figures.LEGEND_SYMBOL`: one row
    when they all fit, else Plotly's grid (``traceorder`` normal), every entry as wide as the widest
    (QA: one long entry made the training curves' legend a row an entry); a row as tall as its entry
    of the most lines (``<br>``)."""
    entries = [
        (text_px(name, LAYOUT["font"]["size"]) + LEGEND_SYMBOL, name.count("<br>") + 1) for name in names
    ]
    if sum(w for w, _ in entries) <= width:
        return max((lines for _, lines in entries), default=1)
    per = max(int(width // max(w for w, _ in entries)), 1)
    return sum(max(lines for _, lines in entries[i : i + per]) for i in range(0, len(entries), per))
