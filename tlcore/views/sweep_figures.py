"""A sweep's figures: the heatmap of compositions x the first varied key and the strip plot of every trial.

Pure functions of a :class:`~tlcore.runs.summary.SweepSummary` (plain data in, ``go.Figure`` out).
Both colour or place by :func:`measure`: the target accuracy when the target is labelled, else the
label-free selection score (``selection.score``, the rule's validator, higher is better), so an
unlabelled target still gets both figures.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import plotly.graph_objects as go

from tlcore.adapt.config import format_value
from tlcore.runs.summary import ConfigRow, SweepSummary, TrialRow
from tlcore.runs.sweep_selection import HINDSIGHT_KEY, SCORE_KEY, selection_score
from tlcore.views.figures import PAGE_TITLE_WRAP, finish, safe
from tlcore.views.palette import category_colour

NOT_VARIED = "—"  # the heatmap column of configurations the first key does not apply to
STAR = " ★"  # marks the recommended configuration
HEATMAP_MIN_HEIGHT = 300  # pixels: with one or two rows the colour bar still has room for its ticks
# the least span of the heatmap's colour scale over target accuracies: 5 points, about the width of the
# 95% interval of one accuracy on a target test split of 1,000 samples (2 x 1.96 x sqrt(0.7 x 0.3 /
# 1,000) = 5.7 points at 70%), so configurations within sampling noise of each other look alike
ACCURACY_MIN_SPAN = 0.05
STRIP_PAD = 0.1  # the strip plot's y axis: this share of its span beyond each end, for the markers


@dataclass(frozen=True)
class Measure:
    """What the figures show: a trial metric, its name for people and its number format."""

    key: str
    label: str
    percent: bool
    min_span: float = 0.0  # the least span of a colour scale over it (0: the values' own range)

    @property
    def format(self) -> str:
        """The d3 format of a value (Plotly's ``tickformat`` and hover templates)."""
        return ".1%" if self.percent else ".3g"

    def text(self, value: float) -> str:
        return f"{value:{'.1%' if self.percent else '.3g'}}"

    def span(self, values: list[float]) -> tuple[float, float]:
        """:func:`colour_range` of ``values`` with this measure's least span, inside 0..1 for an
        accuracy: the heatmap's colour scale and the strip plot's y axis."""
        return colour_range(values, self.min_span, (0.0, 1.0) if self.percent else (-math.inf, math.inf))

    def of_config(self, config: ConfigRow) -> float:
        """The configuration's value: its mean over seeds (the selection score needs every seed to
        pass the rule, :func:`~tlcore.runs.sweep_selection.selection_score`); NaN when it has none."""
        if self.key == SCORE_KEY:
            return selection_score(config.metrics)
        stat = config.metrics.get(self.key)
        return stat.mean if stat is not None else math.nan


def measure(summary: SweepSummary) -> Measure:
    """Target accuracy when any trial has it (a labelled target), else the selection score."""
    if any(HINDSIGHT_KEY in row.metrics for row in summary.trials):
        return Measure(HINDSIGHT_KEY, "target accuracy", percent=True, min_span=ACCURACY_MIN_SPAN)
    # a selection score's scale is its validator's (an entropy, a nuclear norm, ...): no fixed span
    return Measure(SCORE_KEY, "selection score (no target labels)", percent=False)


def colour_range(values: list[float], min_span: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """``(low, high)`` of a colour scale over ``values``: their min..max, widened to ``min_span`` about
    their midpoint when narrower, then moved inside ``bounds`` (an accuracy's 0..1) if it crossed one."""
    low, high = min(values), max(values)
    if high - low >= min_span:
        return low, high
    centre = (low + high) / 2
    low, high = centre - min_span / 2, centre + min_span / 2
    shift = max(bounds[0] - low, 0.0) - max(high - bounds[1], 0.0)
    return low + shift, high + shift


def heatmap(summary: SweepSummary) -> go.Figure | None:
    """Rows: the compositions; columns: the values of the sweep's first varied key (:data:`NOT_VARIED`
    for compositions it does not apply to); colour: :func:`measure` of the configuration (empty while
    it has none, or when it failed the rule). When other keys vary too, a cell shows the best
    configuration among those sharing it. None while no configuration has a value."""
    spec = summary.sweep.spec
    shown = measure(summary)
    key = next(iter(spec.space.dims), None)
    rows = ["+".join(methods) for methods in spec.compositions]
    columns: list[str] = []
    cells: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for config in summary.configs:
        column = format_value(config.point[key]) if key in config.point else NOT_VARIED
        columns.append(column)
        value = shown.of_config(config)
        if not math.isnan(value):
            cells.setdefault((config.methods, column), []).append((value, config.key))
    if not cells:
        return None
    columns = _columns(columns)
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for row in rows:
        best = [max(cells.get((row, column), []), default=None) for column in columns]
        z.append([b[0] if b else None for b in best])
        text.append(
            [shown.text(b[0]) + (STAR if summary.is_recommended(b[1]) else "") if b else "" for b in best]
        )
    zmin, zmax = shown.span([v for line in z for v in line if v is not None])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            zmin=zmin,
            zmax=zmax,
            x=[safe(c) for c in columns],
            y=[safe(r) for r in rows],
            text=text,
            texttemplate="%{text}",
            colorscale="Viridis",
            colorbar={"title": {"text": safe(shown.label)}, "tickformat": shown.format},
            hoverongaps=False,
            xgap=2,
            ygap=2,
        )
    )
    fig.update_xaxes(type="category", title=safe(key or "no varied key"))
    fig.update_yaxes(type="category", autorange="reversed")
    others = " (best over the other keys)" if len(spec.space.dims) > 1 else ""
    title = f"Mean {shown.label} over seeds by composition" + (f" and {key}" if key else "") + others
    title += f"; {STAR.strip()} recommended" if any(summary.recommended_by_setup.values()) else ""
    return finish(fig, title, height=max(140 + 60 * len(rows), HEATMAP_MIN_HEIGHT), wrap=PAGE_TITLE_WRAP)


def _columns(columns: list[str]) -> list[str]:
    """Distinct column labels, numbers in increasing order, :data:`NOT_VARIED` last."""
    distinct = [c for c in dict.fromkeys(columns) if c != NOT_VARIED]
    with contextlib.suppress(ValueError):  # a choice's labels keep the sweep's order
        distinct.sort(key=float)
    return distinct + [NOT_VARIED] * (NOT_VARIED in columns)


def strip(summary: SweepSummary) -> go.Figure | None:
    """Every finished trial: x its configuration (the sweep's order), y :func:`measure` on the
    heatmap's span (:meth:`Measure.span`), one colour per seed. A point's ``customdata`` is its run's
    id (a click opens the run). None while no trial has a value."""
    shown = measure(summary)
    by_seed: dict[int, list[TrialRow]] = {}
    for row in summary.trials:
        if shown.key in row.metrics and row.run is not None:
            by_seed.setdefault(row.trial.seed, []).append(row)
    if not by_seed:
        return None
    fig = go.Figure()
    for i, (seed, rows) in enumerate(sorted(by_seed.items())):
        fig.add_trace(
            go.Scatter(
                x=[safe(row.config_key) for row in rows],
                y=[row.metrics[shown.key] for row in rows],
                customdata=[row.run.id for row in rows if row.run is not None],
                hovertext=[safe(row.trial.key) for row in rows],
                hovertemplate=f"%{{hovertext}}<br>%{{y:{shown.format}}}<extra></extra>",
                mode="markers",
                name=f"seed {seed}",
                marker={
                    "size": 11,
                    "color": category_colour(i),
                    "line": {"width": 1, "color": "white"},
                },
            )
        )
    order = [safe(c.key) for c in summary.configs]
    ticks = [safe(c.key) + (STAR if summary.is_recommended(c.key) else "") for c in summary.configs]
    fig.update_xaxes(
        type="category", categoryorder="array", categoryarray=order, tickvals=order, ticktext=ticks
    )
    fig.update_yaxes(title=safe(shown.label), tickformat=shown.format)
    low, high = shown.span([row.metrics[shown.key] for rows in by_seed.values() for row in rows])
    if high > low:  # one trial's accuracy read -85%..115% on Plotly's own range (QA helper-151)
        pad = (high - low) * STRIP_PAD
        fig.update_yaxes(range=[low - pad, high + pad])
    title = f"Every trial's {shown.label}; click a point to open its run in Compare"
    return finish(fig, title, height=420, wrap=PAGE_TITLE_WRAP)
