"""Figures of a set of predictions (:class:`tlcore.prediction_summary.PredictionSummary`), as pure
functions."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

import plotly.graph_objects as go

from tlcore.numbers import plural
from tlcore.prediction_summary import PredictionSummary
from tlcore.views.chart_text import TEXT_GAP, category_ticks, text_px
from tlcore.views.figures import BAD, CLASS_ROW, GOOD, LABEL_SIZE, LAYOUT, NEUTRAL, TITLE_WRAP, finish, safe
from tlcore.views.palette import category_colour

HEADROOM = 1.12  # the value axis ends this far past the longest bar
MOST_CLASSES = 30  # bars of the predicted-classes chart: past it, the least predicted are one bar
BESIDE = 380  # px of the confidence histogram: the predicted classes beside it are as tall, or taller


def headroom(values: Iterable[float]) -> float:
    """The end of a bar figure's value axis: :data:`HEADROOM` times its longest bar (1 when empty)."""
    longest = max((float(v) for v in values), default=0.0)
    return HEADROOM * longest if longest > 0 else 1.0


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
            customdata=[plural(int(n), "sample") for n in counts],
            text=[f"{low:.0%} to {high:.0%}" for low, high in pairwise(edges)],
            textposition="none",  # the bin's range on hover only
            hovertemplate="confidence %{text}: %{customdata} (%{y:.1%})<extra></extra>",
        )
    )
    # in percent, as the page's cards, captions and tables write a confidence (QA: 0, 0.5, 1 beside 10.9%)
    fig.update_xaxes(title_text="confidence (max softmax)", range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title_text="share of samples", tickformat=".0%", range=[0, headroom(fig.data[0].y)])
    # wrapped: it shares a row with the predicted classes (QA: cut at "(mea" in a 1000 px window)
    title = f"Confidence of {summary.n_samples:,} predictions (mean {summary.mean_confidence:.1%})"
    return finish(fig, title, BESIDE, wrap=TITLE_WRAP)


def predicted_counts(summary: PredictionSummary) -> go.Figure:
    """Samples per predicted class as bars across, the most predicted on top, every class named down
    the left (a long name cut to an ellipsis, whole on hover: QA's 50-character name squeezed the plot)
    and the figure growing with the classes (QA: upright, 100 classes' names ran into each other).
    Past :data:`MOST_CLASSES` classes the never-predicted ones are counted in the title, not drawn, and
    past as many predicted ones the least predicted are summed into one grey bar; each class keeps its
    colour of the model's class order. A bar is at most two rows thick (two classes: not 150 px), its
    count written at its end (``0`` for a class drawn but never predicted)."""
    order = sorted(enumerate(summary.counts.items()), key=lambda item: -item[1][1])  # ties: class order
    never = 0
    if len(order) > MOST_CLASSES:
        predicted = [item for item in order if item[1][1] > 0]
        never, order = len(order) - len(predicted), predicted
    shown = order if len(order) <= MOST_CLASSES else order[: MOST_CLASSES - 1]
    rest = order[len(shown) :]
    names = [name for _, (name, _) in shown]
    counts = [count for _, (_, count) in shown]
    colours = [category_colour(i) for i, _ in shown]
    parts = []
    if rest:
        names.append(f"{len(rest)} other classes")
        counts.append(sum(count for _, (_, count) in rest))
        colours.append(NEUTRAL)
        parts.append(f"the {len(shown)} most predicted, the other {len(rest)} summed")
    if never:
        parts.append(f"{never} of {len(summary.counts)} never predicted")
    title = ": ".join(["Predicted classes", "; ".join(parts)]) if parts else "Predicted classes"
    fig = go.Figure(
        go.Bar(
            x=counts,
            y=[safe(name) for name in names],
            orientation="h",
            marker_color=colours,
            customdata=[plural(count, "sample") for count in counts],
            hovertemplate="%{y}: %{customdata}<extra></extra>",
            # each bar's count at its end: a class never predicted reads 0, not an empty row (QA)
            text=[f"{count:,}" for count in counts],
            textposition="outside",
            textfont={"size": LABEL_SIZE},
            constraintext="none",
            cliponaxis=False,
        )
    )
    ticks = category_ticks(names)
    fig.update_yaxes(**ticks, categoryorder="array", categoryarray=ticks["tickvals"], autorange="reversed")
    fig.update_xaxes(title_text="samples", range=[0, headroom(counts)])
    bottom = 50  # below: the axis's ticks and title
    height = max(CLASS_ROW * len(names) + LAYOUT["margin"]["t"] + bottom, BESIDE)
    plot = height - LAYOUT["margin"]["t"] - bottom
    fig.update_layout(bargap=max(0.2, 1 - 2 * CLASS_ROW * len(names) / plot))
    fig = finish(fig, title, height, wrap=TITLE_WRAP)
    # the longest bar's count past the axis's end: in the right margin
    right = max(LAYOUT["margin"]["r"], round(text_px(f"{max(counts, default=0):,}", LABEL_SIZE) + TEXT_GAP))
    return fig.update_layout(margin={"b": bottom, "r": right})
