"""Training curves: a run's losses and shares per epoch, long curves thinned
(:func:`tlcore.views.curve_points.thin`), epochs ticked at a readable step. Pure, no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tlcore.views.chart_text import PANEL_SIZE, panel_titles, wrap_words
from tlcore.views.class_figures import LINE, legend_rows
from tlcore.views.curve_points import thin
from tlcore.views.figures import LEGEND_BELOW, NEUTRAL, SIDES, finish, safe
from tlcore.views.palette import run_colour
from tlcore.views.run_tables import CURVE_KEYS, CURVE_NAMES, FINAL_STAGE

PLOT = 190  # px of the panels
LEGEND_DROP = 58  # px from the panels' bottom to the legend's top: the epoch ticks and the axis title
# px of the figure on a run card of a 1024 px window (the card's two thirds beside the run's words,
# QA screenshot): the legend's rows are counted at this width, so Plotly never grows the bottom margin
# for them (QA: grown, it shrank the panels and the legend's offset, a share of their height, with
# them: the legend's first row touched "epoch")
NARROWEST = 347
EPOCH_TICKS = 6  # epoch ticks at most on a training curve's axis (two panels in a third of 1000 px)
STAR = 13  # px of a final model's star
# px above the panels for the "adapt" label where a stage starts (QA: inside, it covered a curve near 1)
STAGE_LINE = 16
EPOCH_MARKERS = 60  # a training curve of more points is a line alone: its markers merged into a band
# the loss panel's title where a loss fell below 0 (QA: a curve to -0.5 with no word why): the training
# loss sums a run's terms, and the ones it maximises count negative (im's diversity, bnm's nuclear norm)
BELOW_ZERO = "Loss (terms it maximises count < 0)"


def epoch_step(last: float) -> int:
    """Whole epochs between ticks on an axis up to epoch ``last``: 1, 2, 5, 10, 20, 50, ... the first
    that draws at most :data:`EPOCH_TICKS` ticks (QA: a tick per epoch of a 250-epoch run merged into
    a dark band)."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if last / step <= EPOCH_TICKS:
                return step
        scale *= 10


def shares_title(drawn: Sequence[str]) -> str:
    """The right panel's title: the shares among ``drawn`` keys it draws (QA: an unlabelled target's
    run drew source accuracy alone under "Accuracy · predictions changed"); "" when none."""
    accuracies = [key for key in drawn if "acc" in key]
    words = [] if not accuracies else ["accuracy" if len(accuracies) > 1 else accuracies[0].replace("_", " ")]
    words += ["predictions changed"] if any("changed" in key for key in drawn) else []
    return " · ".join(words).capitalize()


def learning_curves(
    history: Mapping[str, Sequence[Mapping[str, float | str]]],
    title: str = "Training curves",
    keys: Sequence[str] = CURVE_KEYS,
) -> go.Figure:
    """Losses (left) and shares (right: accuracies, the share of target predictions that changed since
    the previous epoch) per epoch; ``history`` is ``{run label: [epoch rows]}``.

    Each row holds ``epoch`` plus any of ``keys`` (names with ``acc`` or ``changed`` go to the right
    panel) and optionally ``stage``; where the stage changes a dotted line marks the start of
    adaptation, labelled over the panels (their titles :data:`STAGE_LINE` px up).
    A long curve is drawn from its ends and extremes (:func:`tlcore.views.curve_points.thin`), without
    markers past :data:`EPOCH_MARKERS` points.
    A row of stage :data:`FINAL_STAGE` (and its ``label``) is the final model's: a star per key, not
    joined to the epochs' lines (AdaBN, say, changed the model after its last epoch), and one grey star
    in the legend for them all (QA: a star entry per key, ``target_accuracy · final model (after
    adabn)``, widened every legend column and the legend took a row an entry at 1024 px). The legend's
    rows are counted at :data:`NARROWEST` px (:func:`~tlcore.views.class_figures.legend_rows`) and the
    bottom margin holds them, so the panels keep :data:`PLOT` px at any width. Curves are named by
    :data:`~tlcore.views.run_tables.CURVE_NAMES`; a loss below 0 titles its panel :data:`BELOW_ZERO`.
    """
    drawn = [key for key in keys if any(key in row for rows in history.values() for row in rows)]
    negative = any(float(row["loss"]) < 0 for rows in history.values() for row in rows if "loss" in row)
    titles = (BELOW_ZERO if negative else "Loss", shares_title(drawn))
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.12)
    panel_lines = panel_titles(fig, 20)  # the right panel's title in two lines at 700 px
    single = len(history) == 1
    boundaries: set[float] = set()
    finals: dict[str, str] = {}  # each final model's label: its legend entry, in lines
    named = {key: CURVE_NAMES.get(key, key) for key in keys}  # the legend's words for each key
    widest = max(map(len, named.values()))  # characters a line of a final model's entry: never the widest
    for i, (label, run_rows) in enumerate(history.items()):
        colour = run_colour(i)
        final = [row for row in run_rows if row.get("stage") == FINAL_STAGE]
        rows = [row for row in run_rows if row.get("stage") != FINAL_STAGE]
        for key in keys:
            points = [(row.get("epoch", j + 1), row[key]) for j, row in enumerate(rows) if key in row]
            points = [points[j] for j in thin([p[1] for p in points])]
            ends = [
                (row["epoch"], row[key], str(row.get("label", "final model"))) for row in final if key in row
            ]
            name = named[key] if single else f"{safe(label)} · {named[key]}"
            line = {"color": run_colour(keys.index(key)) if single else colour}
            col = 2 if "acc" in key or "changed" in key else 1
            if points:
                dash = "solid" if key in ("loss", "target_accuracy") else "dot"  # headline curves solid
                fig.add_trace(
                    go.Scatter(
                        x=[p[0] for p in points],
                        y=[p[1] for p in points],
                        mode="lines+markers" if len(points) <= EPOCH_MARKERS else "lines",
                        name=name,
                        line={**line, "dash": dash},
                    ),
                    row=1,
                    col=col,
                )
            for x, y, what in ends:  # one legend entry for every star of a label, after the loop
                finals[safe(what)] = "<br>".join(safe(part) for part in wrap_words(what, widest))
                fig.add_trace(
                    go.Scatter(
                        x=[x],
                        y=[y],
                        mode="markers",
                        name=f"{name} · {safe(what)}",
                        legendgroup=safe(what),  # toggled with its legend entry
                        showlegend=False,
                        marker={"color": line["color"], "symbol": "star", "size": STAR},
                    ),
                    row=1,
                    col=col,
                )
        boundaries |= {
            float(rows[j]["epoch"]) - 0.5
            for j in range(1, len(rows))
            if rows[j].get("stage") != rows[j - 1].get("stage")
        }
    above = STAGE_LINE if boundaries else 0  # the label sits over the panels, their titles a line up
    for note in fig.layout.annotations:
        note.update(yshift=above)
    for x in sorted(boundaries):
        fig.add_vline(
            x=x,
            line_dash="dot",
            line_color=NEUTRAL,
            annotation={"text": "adapt", "font_color": NEUTRAL, "yanchor": "bottom"},
        )
    last = max((float(row.get("epoch", 1)) for rows in history.values() for row in rows), default=1.0)
    fig.update_xaxes(title="epoch", dtick=epoch_step(last))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=2)
    star = {"symbol": "star", "size": STAR, "color": NEUTRAL}  # legend only: each curve's star its colour
    for group, name in finals.items():
        fig.add_trace(
            go.Scatter(x=[None], y=[None], mode="markers", name=name, legendgroup=group, marker=star)
        )
    top = (60 if title else 30) + PANEL_SIZE * (panel_lines - 1) + above  # px a title's lines past the first
    entries = [t.name for t in fig.data if t.showlegend is not False]
    below = LEGEND_DROP + LINE * legend_rows(entries, NARROWEST - SIDES)
    fig = finish(fig, title, top + PLOT + below)
    legend = LEGEND_BELOW | {"y": -LEGEND_DROP / PLOT, "traceorder": "normal"}  # grouped: a column a group
    return fig.update_layout(legend=legend, margin={"b": below, "t": top})
