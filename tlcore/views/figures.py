"""Plotly figures as pure functions: plain data in, ``go.Figure`` out. No Streamlit here.

Every label that may come from a user (class names, domain names, run labels) passes through
:func:`safe` so Plotly shows it as text, never as markup. Colours are assigned from stable keys
(domain role, class order), so the same class has the same colour in every figure. The app draws
these figures in Streamlit's chart theme, which recolours the layout (background, text, grid) for the
light or the dark page; the colours set here read on both, and a heatmap's zero is the page itself
(:func:`fade`), never a white block on a dark page. The HTML report keeps ``plotly_white``
(:func:`used_template`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
import plotly.io as pio

from tlcore.metrics import accuracy_change, mcnemar, proportion
from tlcore.metrics.feature_tests import FDR
from tlcore.numbers import plural
from tlcore.views import chart_text
from tlcore.views.chart_text import (
    TICK_SIZE,
    category_ticks,
    safe,
    tick_text,
    wrap_words,
)
from tlcore.views.palette import BAD, GOOD, NEUTRAL, PALETTE, WITHIN_CHANCE, category_colour
from tlcore.views.run_names import short_label

DOMAIN_COLOURS = {"source": PALETTE[0], "target": PALETTE[1]}
FRAME = "rgba(138, 147, 166, 0.45)"  # NEUTRAL, half see-through: a faint frame on light and dark pages
TRACES = ("bar", "heatmap", "scatter", "scattergl")  # every trace type drawn here (go.Image: no defaults)
SUBPLOTS = ("geo", "map", "mapbox", "polar", "scene", "ternary")  # plot kinds never drawn here


def used_template(name: str = "plotly_white") -> go.layout.Template:
    """Plotly's template ``name`` cut to what these figures use: its defaults of the :data:`TRACES` and
    its layout less the :data:`SUBPLOTS` (every figure carries its template: plotly_white whole was 6.5 kB
    of a 1.6 kB chart, sent at every draw; cut, 2.3 kB), so a figure looks the same."""
    whole = pio.templates[name].to_plotly_json()
    data = {trace: whole["data"][trace] for trace in TRACES if trace in whole["data"]}
    layout = {key: value for key, value in whole["layout"].items() if key not in SUBPLOTS}
    return go.layout.Template(data=data, layout=layout)


LAYOUT = {
    "template": used_template(),
    "margin": {"l": 50, "r": 20, "t": 60, "b": 40},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    "font": {"size": 13},
}
SIDES = LAYOUT["margin"]["l"] + LAYOUT["margin"]["r"]  # px of a figure beside its plot
TITLE_WRAP = 32  # characters per title line of a figure that shares a row with others
TITLE_LINE = 24  # px each wrapped title line adds to the top margin and the height
TOP_TITLE = {"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 12}}  # a title from the top down
# characters per title line of a figure as wide as the page: at 1024 px the sidebar leaves it about
# 550 px, and a longer title was cut at the figure's edge (QA: the sweep heatmap's "★ recommen")
PAGE_TITLE_WRAP = 64
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0}
LABEL_SIZE = 12  # px of the text written over bars: never shrunk to a bar's width
SUBTITLE_WRAP = 48  # characters per subtitle line of a figure that shares a row with others
CROWDED = 3  # runs from which the accuracy chart writes only the change over each pair (the rest on hover)
CLASS_ROW = 18  # px a class's bar takes in a figure with a bar across per class
HATCH = {"fillmode": "overlay", "fgcolor": "rgba(255, 255, 255, 0.6)", "solidity": 0.3}  # on a grey bar
LEGEND_SYMBOL = 40  # px of a legend entry besides its text: the swatch and the space after it
MIN_PLOT = 180  # px of bars across in a chart of many runs, besides the runs' names and the changes


def fade(colour: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r, g, b, alpha)``: at ``alpha`` 0 a heatmap cell shows the page behind it."""
    return f"rgba({int(colour[1:3], 16)}, {int(colour[3:5], 16)}, {int(colour[5:7], 16)}, {alpha:g})"


def left_margin(names: float) -> float:
    """px left of the plot of a chart naming its runs down the left in ``names`` px: Plotly's
    automargin widens the layout's left margin to the names, it does not add them to it."""
    return max(LAYOUT["margin"]["l"], names)


def colour_map(categories: Sequence[str]) -> dict[str, str]:
    """A stable colour per category: domain roles get their fixed colours, others the palette."""
    return {c: DOMAIN_COLOURS.get(c, category_colour(i)) for i, c in enumerate(dict.fromkeys(categories))}


def finish(fig: go.Figure, title: str, height: int = 380, wrap: int | None = None) -> go.Figure:
    """The shared layout, ``title`` (escaped) and ``height``; with ``wrap``, the title is broken into
    lines of about that many characters (a figure in a narrow column) and the top margin grows."""
    lines = wrap_words(title, wrap) if wrap else [title]
    fig.update_layout(
        **LAYOUT, title={"text": "<br>".join(safe(line) for line in lines), "x": 0}, height=height
    )
    if len(lines) > 1:  # a title line is 24 px (a third line at 20 px touched the plot: QA)
        fig.update_layout(margin={"t": LAYOUT["margin"]["t"] + TITLE_LINE * (len(lines) - 1)})
        fig.update_layout(height=height + TITLE_LINE * (len(lines) - 1))
    return fig


def class_balance(counts: Mapping[str, Mapping[str, int]], title: str = "Class balance") -> go.Figure:
    """Grouped bars of each class's share per domain; ``counts`` is ``{domain: {class: n}}``."""
    fig = go.Figure()
    for i, (domain, per_class) in enumerate(counts.items()):
        total = max(sum(per_class.values()), 1)
        names = [safe(c) for c in per_class]
        shares = [n / total for n in per_class.values()]
        fig.add_trace(
            go.Bar(
                x=names,
                y=shares,
                name=safe(domain),
                marker_color=category_colour(i),
                customdata=[plural(n, "sample") for n in per_class.values()],
                hovertemplate="%{x}: %{y:.1%} (%{customdata})<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", showlegend=True)  # one domain: named too
    fig.update_xaxes(
        **category_ticks(list(dict.fromkeys(c for per_class in counts.values() for c in per_class)))
    )
    return finish(fig, title, 320)


def per_class_gap(
    gaps: Mapping[str, float],
    title: str = "Gap per class",
    metric: str = "MMD²",
    q_values: Mapping[str, float] | None = None,
    fdr: float = FDR,
) -> go.Figure:
    """Bars across of a per-class gap measure, largest on top, every class named down the left (cut to
    an ellipsis, whole on hover), the figure growing with the classes (QA: upright bars named 15 of 30).
    With ``q_values`` (each class's q-value, :func:`tlcore.metrics.per_class.class_conditional_mmd`)
    a class beyond chance (``q <= fdr``) is a solid bar, one within chance a lighter one, as the
    legend says."""
    items = sorted(gaps.items(), key=lambda kv: kv[1], reverse=True)
    fig = go.Figure()

    def bars(members: list[tuple[str, float]], name: str, alpha: float) -> None:
        q = [q_values[k] for k, _ in members] if q_values is not None else None
        fig.add_trace(
            go.Bar(
                x=[v for _, v in members],
                y=[safe(k) for k, _ in members],
                orientation="h",
                customdata=q,
                name=name,
                marker_color=fade(PALETTE[0], alpha),
                hovertemplate=f"%{{y}}: {metric} %{{x:.4f}}"
                + (", q %{customdata:.3g}" if q else "")
                + "<extra></extra>",
            )
        )

    if q_values is None:
        bars(items, metric, 1.0)
    else:
        bars([(k, v) for k, v in items if q_values[k] <= fdr], f"beyond chance (q ≤ {fdr:g})", 1.0)
        bars([(k, v) for k, v in items if q_values[k] > fdr], f"within chance (q > {fdr:g}): lighter", 0.35)
    fig.update_layout(showlegend=q_values is not None)
    ticks = category_ticks([k for k, _ in items])
    fig.update_yaxes(**ticks, categoryorder="array", categoryarray=ticks["tickvals"], autorange="reversed")
    fig.update_xaxes(title=metric)
    plot, bottom = CLASS_ROW * len(items) + 40, 100  # below: the axis's ticks and title, then the legend
    # the title wraps: it shares a row with the gap's histogram (QA: "MMD²" cut at 1280 px)
    fig = finish(fig, title, plot + LAYOUT["margin"]["t"] + bottom, wrap=TITLE_WRAP)
    legend = LEGEND_BELOW | {"y": -60 / plot}  # above, two rows in half a page ran over the title
    return fig.update_layout(legend=legend, margin={"b": bottom})


def accuracy_vs_baseline(
    accuracy: Mapping[str, float],
    baseline: Mapping[str, float],
    title: str = "Target accuracy: source-only vs adapted",
    tested: Mapping[str, int | None] | None = None,
    paired: Mapping[str, mcnemar.PairedChange | None] | None = None,
) -> go.Figure:
    """Per run, the source-only accuracy (grey) beside the adapted one: green when adaptation
    helped, red when it hurt (negative transfer), grey and hatched when unchanged (the change shows
    as 0.0 points, :mod:`tlcore.metrics.accuracy_change`), sand (:data:`WITHIN_CHANCE`) when a
    change shows but its paired test calls it within chance (the Compare page's rule,
    :func:`tlcore.metrics.mcnemar.shown_within_chance`); the change is written above the taller bar
    of each pair, at a fixed size. ``tested``: each run's number of target test samples, for the
    counts under the change (``7 vs 6 of 8``) and on the hover with the 95% Wilson interval
    (:mod:`tlcore.metrics.proportion`). ``paired``: each run's McNemar test of the two models on the
    same samples (:mod:`tlcore.metrics.mcnemar`), its p-value under the counts, ``within chance``
    when it is: neither a rise nor a fall within chance is evidence of a better or worse model. From
    :data:`CROWDED` runs the counts and p-values are on the change's hover only (and in the numbers
    table), ``within chance`` still written: in full, they ran into the next pair's."""
    runs = list(accuracy)
    names = [safe(r) for r in runs]
    ticks = [tick_text(short_label(r)) for r in runs]  # named as the ranking table names them, whole on hover
    after = [accuracy[r] for r in runs]
    before = [baseline[r] for r in runs]
    changes = [accuracy_change.shown_points(a, b) for a, b in zip(after, before, strict=True)]
    tests = [(paired or {}).get(r) for r in runs]
    kinds = [
        "chance" if mcnemar.shown_within_chance(a, b, t) else accuracy_change.direction(a, b)
        for a, b, t in zip(after, before, tests, strict=True)
    ]
    colours = {"rose": GOOD, "fell": BAD, "unchanged": NEUTRAL, "chance": WITHIN_CHANCE}
    hatch = {"unchanged": "/"}
    texts = ["unchanged" if c == 0 else f"{c:+.1f} pts" for c in changes]
    n = [(tested or {}).get(r) for r in runs]
    hover_after, hover_before = (
        [proportion.accuracy_text(value, m) for value, m in zip(values, n, strict=True)]
        for values in (after, before)
    )
    labels = [
        f"{text}<br>{round(a * m)} vs {round(b * m)} of {m:,}" if m else text
        for text, a, b, m in zip(texts, after, before, n, strict=True)
    ]
    labels = [
        f"{label}<br>{mcnemar.p_text(t.p_value)}{' (within chance)' * t.within_chance}" if t else label
        for label, t in zip(labels, tests, strict=True)
    ]
    crowded = [
        f"{text}<br>within chance" if t and t.within_chance else text
        for text, t in zip(texts, tests, strict=True)
    ]
    shown = crowded if len(runs) >= CROWDED else labels  # side by side, the counts overlapped at 1000 px
    meaning = {
        "rose": "adapted: better",
        "fell": "adapted: worse",
        "unchanged": f"adapted: unchanged (< {accuracy_change.SHOWN:g} pts)",
        "chance": f"adapted: within chance (McNemar p ≥ {mcnemar.SIGNIFICANCE:g})",
    }
    across = chart_text.runs_across(len(runs))
    bar, at = {"orientation": "h" if across else "v"}, "%{y}" if across else "%{x}"
    fig = go.Figure(
        [
            go.Bar(
                **run_xy(names, before, across),
                **bar,
                name="source-only",
                offsetgroup="source-only",
                marker_color=NEUTRAL,
                customdata=hover_before,
                hovertemplate=at + ": %{customdata}",
            ),
            go.Bar(
                **run_xy(names, after, across),
                **bar,
                name="adapted",
                offsetgroup="adapted",
                showlegend=False,
                marker={
                    "color": [colours[k] for k in kinds],
                    "pattern": {"shape": [hatch.get(k, "") for k in kinds], **HATCH},
                },
                customdata=[
                    (h, f"{t}, within chance" if k == "chance" else t)
                    for h, t, k in zip(hover_after, texts, kinds, strict=True)
                ],
                hovertemplate=at + ": %{customdata[0]} (%{customdata[1]})",
            ),
            # legend entries only, in the adapted bars' slot: what the colours shown mean
            *(
                go.Bar(
                    x=[None],
                    y=[None],
                    **bar,
                    name=name,
                    offsetgroup="adapted",
                    marker={"color": colours[k], "pattern": {"shape": hatch.get(k, ""), **HATCH}},
                )
                for k, name in meaning.items()
                if k in kinds
            ),
            # the change past the longer bar of each pair, centred on the pair: a bar's own outside
            # text shrinks to the bar's width and sits beside a taller neighbour's edge
            go.Scatter(
                **run_xy(names, [max(a, b) for a, b in zip(after, before, strict=True)], across),
                mode="text",
                text=[pad(text) for text in shown] if across else shown,
                textposition="middle right" if across else "top center",
                textfont={"size": LABEL_SIZE},
                cliponaxis=False,
                showlegend=False,
                customdata=labels,
                hovertemplate=at + ": %{customdata}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(barmode="group")
    if across:
        return _accuracy_across(fig, runs, shown, title)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.15])
    # labels wrapped under their pair, never tilted out of the chart; the legend below them
    fig.update_xaxes(type="category", tickangle=0, tickvals=names, ticktext=ticks, tickfont_size=TICK_SIZE)
    extra = (TICK_SIZE + 4) * (max(t.count("<br>") for t in ticks) if ticks else 0)
    height, bottom = 360 + extra, 90 + extra
    fig = finish(fig, title, height, wrap=TITLE_WRAP)  # it shares a row with the gap figure
    plot = height - LAYOUT["margin"]["t"] - bottom  # px: the legend's y is a share of it
    legend = LEGEND_BELOW | {"y": LEGEND_BELOW["y"] - extra / plot}  # above, it ran into a long title
    fig.update_layout(legend=legend, margin={"b": bottom})
    # each pair's slot holds its change and its tick beside the next pair's
    texts = [(t, LABEL_SIZE) for t in shown] + [(t, TICK_SIZE) for t in ticks]
    return chart_text.set_min_width(fig, SIDES + len(runs) * chart_text.slot_px(texts))


def pad(text: str) -> str:
    """``text`` with a space before each of its lines: a change written right of a bar, off its end."""
    return "<br>".join(f"\u00a0{line}" for line in text.split("<br>"))


def run_xy(names: Sequence[str], values: Sequence[float], across: bool) -> dict[str, Sequence]:
    """A per-run trace's ``x`` and ``y``: the runs along x and ``values`` up, or (``across``,
    :func:`~tlcore.views.chart_text.runs_across`) the runs down y and ``values`` across."""
    return {"y": names, "x": values} if across else {"x": names, "y": values}


def _accuracy_across(fig: go.Figure, runs: Sequence[str], shown: Sequence[str], title: str) -> go.Figure:
    """The accuracy chart of many runs with its bars across: a row of :data:`RUN_ROW` px per run, named
    down the left, the change right of the longer bar (in the right margin past 100%), the legend
    below; it reads from its names, the change and :data:`MIN_PLOT` px of bars."""
    axis, names = chart_text.run_rows(runs)
    change = max(chart_text.text_px(pad(text), LABEL_SIZE) for text in shown) + chart_text.TEXT_GAP
    fig.update_yaxes(**axis)
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    plot, bottom = chart_text.RUN_ROW * len(runs), 90
    fig = finish(fig, title, plot + LAYOUT["margin"]["t"] + bottom, wrap=TITLE_WRAP)
    legend = LEGEND_BELOW | {"y": -40 / plot}  # under the x ticks
    fig.update_layout(legend=legend, margin={"b": bottom, "r": round(change)})
    return chart_text.set_min_width(fig, left_margin(names) + MIN_PLOT + change)
