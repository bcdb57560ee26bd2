"""The text of a chart: escaped, wrapped into short lines, ticks and class names cut to an ellipsis
(the whole on hover), panel titles broken so that panels side by side do not run into each other; and
the narrowest width a chart reads at, so that a page stacks charts that would not fit side by side; and
the one rule that turns a per-run chart's bars across, its runs named down the left, when many."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import plotly.graph_objects as go

from tlcore.ellipsis import ELLIPSIS, keep_start
from tlcore.views.run_names import short_label

TICK_WRAP, TICK_LINES, TICK_SIZE = 11, 3, 11  # a run's label under its bars: characters a line, lines, px
PANEL_WRAP, PANEL_SIZE = 12, 12  # a panel's title: characters a line, px (three panels share half a row)
CHAR_EM = 0.5  # a character's width in em, rounded up (the app's sans-serif: about 0.45 em, QA screenshots)
TEXT_GAP = 10  # px between the texts of neighbouring bars
MIN_WIDTH = 380  # px: the narrowest a chart is drawn (narrower, its title and legend wrap into a column)
NAME_WIDTH = 24  # characters of a class name on an axis or in a legend; the whole name is on the hover
# per-run charts from this many runs lay their bars across, the runs named down the left: upright, a
# run's slot needs 88 px (its change "within chance", 13 characters at 12 px, and a gap), so six need
# 598 px, past a 540 px column (QA: seven runs' labels ran into each other, twenty overlapped at 1600 px)
ACROSS_FROM = 6
RUN_ROW, RUN_LINES = 36, 2  # px a run's row takes when bars run across; lines of its name down the left


def safe(text: object) -> str:
    """``text`` escaped so Plotly renders it literally (``<script>`` shows as ``<script>``)."""
    return html.escape(str(text), quote=False)


def shorten(text: str, width: int = NAME_WIDTH) -> str:
    """``text`` when at most ``width`` characters, else its longest start that fits before an ellipsis."""
    return keep_start(text, width)


def category_ticks(names: Sequence[str], width: int = NAME_WIDTH) -> dict[str, object]:
    """A category axis's settings that label every one of ``names``, however many (Plotly skipped every
    second of 30), each :func:`shorten`-ed and escaped. The traces keep the escaped whole names as
    their categories, so names sharing a start stay apart and the hover shows them whole."""
    return {
        "type": "category",
        "tickmode": "array",
        "tickvals": [safe(name) for name in names],
        "ticktext": [safe(shorten(str(name), width)) for name in names],
    }


def wrap_words(text: str, width: int) -> list[str]:
    """``text`` in lines of about ``width`` characters, broken after a space or a ``+`` (a run label
    such as ``deep_coral+im+fixmatch · d3b677`` breaks between its methods); a longer word keeps its
    own line."""
    lines = [""]
    for piece in re.findall(r"[^\s+]*\+|[^\s+]+\s*|\s+", text):
        if lines[-1].strip() and len(lines[-1]) + len(piece.rstrip()) > width:
            lines.append("")
        lines[-1] += piece
    return [line.strip() for line in lines if line.strip()]


def panel_titles(fig: go.Figure, width: int = PANEL_WRAP) -> int:
    """Break the titles of ``fig``'s panels (``make_subplots``' annotations) into lines of about
    ``width`` characters at a smaller size, so panels side by side in a narrow column do not run into
    each other; the most lines a title took."""
    lines = 1
    for note in fig.layout.annotations:
        wrapped = wrap_words(note.text, width)
        lines = max(lines, len(wrapped))
        note.update(text="<br>".join(wrapped), font_size=PANEL_SIZE)
    return lines


def tick_text(text: str, width: int = TICK_WRAP, most: int = TICK_LINES) -> str:
    """``text`` (escaped) as a category's tick: :func:`wrap_words` into at most ``most`` lines of at
    most ``width`` characters, cut to an ellipsis where longer, keeping the last line: a run label
    keeps its methods' start and its id. The full text is on the hover."""
    lines = [shorten(line, width) for line in wrap_words(text, width)]
    if len(lines) > most:
        lines = [*lines[: most - 2], lines[most - 2].removesuffix(ELLIPSIS) + ELLIPSIS, lines[-1]]
    return "<br>".join(safe(line) for line in lines)


def runs_across(runs: int) -> bool:
    """Whether a per-run chart of ``runs`` runs lays its bars across, the runs named down the left and
    the figure growing :data:`RUN_ROW` px a run (from :data:`ACROSS_FROM`): the one rule of every
    per-run chart, so the accuracy and gap charts of one pick turn together."""
    return runs >= ACROSS_FROM


def run_rows(runs: Sequence[str], size: float = TICK_SIZE) -> tuple[dict[str, object], float]:
    """The y axis of a chart with a row per run, first on top: every run named as the ranking table
    names it (:func:`~tlcore.views.run_names.short_label`, :func:`tick_text`, at most :data:`RUN_LINES`
    lines of :data:`NAME_WIDTH` characters, whole on hover), and the px the names take (their widest
    line at ``size`` px and :data:`TEXT_GAP`)."""
    ticks = [tick_text(short_label(run), NAME_WIDTH, RUN_LINES) for run in runs]
    axis = {
        "type": "category",
        "tickmode": "array",
        "tickvals": [safe(run) for run in runs],
        "ticktext": ticks,
        "tickfont_size": size,
        "range": [len(runs) - 0.5, -0.5],  # reversed; autorange padded 3 rows' blank above and below
        "automargin": True,
        "ticklabelstandoff": TEXT_GAP // 2,  # px between a name and its bars
    }
    return axis, max((text_px(tick, size) for tick in ticks), default=0.0) + TEXT_GAP


def text_px(text: str, size: float) -> float:
    """About how many px wide ``text`` (lines broken by ``<br>``, escaped) is at ``size`` px: its
    longest line's characters times :data:`CHAR_EM` of the size, an upper bound."""
    return max(len(html.unescape(line)) for line in text.split("<br>")) * CHAR_EM * size


def slot_px(texts: Sequence[tuple[str, float]]) -> float:
    """The px a bar's slot needs for its widest text (``(text, size)`` pairs: its label, its tick) and
    :data:`TEXT_GAP` to the next slot's."""
    return max((text_px(text, size) for text, size in texts), default=0.0) + TEXT_GAP


def set_min_width(fig: go.Figure, width: float) -> go.Figure:
    """Record on ``fig`` (``layout.meta``) the px it needs to read without its texts running into
    each other, at least :data:`MIN_WIDTH`: the page sizes its cell to it (:func:`min_width`)."""
    fig.update_layout(meta={**(fig.layout.meta or {}), "min_width": max(MIN_WIDTH, round(width))})
    return fig


def min_width(fig: go.Figure) -> int:
    """The px ``fig`` reads at (:func:`set_min_width`), :data:`MIN_WIDTH` where it recorded none."""
    return int((fig.layout.meta or {}).get("min_width", MIN_WIDTH))


def value_ticks(values: Sequence[float]) -> list[float]:
    """0 and the largest 1, 2 or 5 times a power of ten at most the largest of ``values``: the two
    ticks of a narrow panel of bars across, one always among the bars (QA: Plotly's own two fell on
    0 and past the bars, a panel of MMD² up to 0.15 read "0" alone)."""
    top = max((v for v in values if math.isfinite(v)), default=0.0)
    if top <= 0:
        return [0.0]
    power = 10 ** math.floor(math.log10(top))
    return [0.0, max(step * power for step in (1, 2, 5) if step * power <= top)]
