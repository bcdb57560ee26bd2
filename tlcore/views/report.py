"""A self-contained HTML report: headings, tables, notes, pictures and Plotly figures in one file.

Plotly.js is inlined once and pictures are inline base64 PNGs (the file opens offline; Plotly.js is
about 4.8 MB of it), and every string that may come from a user (titles, run labels, class names,
table cells, captions) is escaped with :func:`html.escape`. A float cell is written by
:func:`tlcore.numbers.significant` (4 significant digits: ``1,797``, ``0.8123``, an MMD² of ``3.2e-05``).
Table cells holding a number (or a number written with its unit, :data:`NUMBER`) are right-aligned, text
left-aligned, a missing value (None: e.g. the accuracies of an unlabelled target) is :data:`UNKNOWN`;
``flags`` are alerts (red), ``asides`` neutral notes.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import plotly.graph_objects as go
import plotly.io as pio

from tlcore.numbers import significant

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1d2433; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .subtitle { color: #5b6478; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.92rem; }
th, td { border: 1px solid #d8dce5; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; } th { background: #f2f4f8; }
.flag { background: #fde8e8; border-left: 4px solid #d62728; padding: 0.5rem 0.8rem; margin: 0.4rem 0; }
.aside { background: #f2f4f8; border-left: 4px solid #8a93a6; padding: 0.5rem 0.8rem; margin: 0.4rem 0; }
.note { color: #5b6478; } footer { color: #8a93a6; font-size: 0.8rem; margin-top: 3rem; }
img.grid { image-rendering: pixelated; max-width: 100%; }
figure { display: inline-block; margin: 0 1rem 1rem 0; } figcaption { color: #5b6478; font-size: 0.85rem; }
"""
UNKNOWN = "—"  # a number the run could not measure, as the app's tables show it
NUMBER = re.compile(r"[-+≈]?\s*[\d.,]+(e[-+]?\d+)?\s*(x|%|s)?")  # 646,565  +1,797  3.2e-05  948x  56%


@dataclass(frozen=True)
class Section:
    """One part of the report: a heading and any of a note, a table, pictures (``(caption, PNG
    bytes)``), captioned tables (``(caption, rows)``), a figure."""

    heading: str
    note: str = ""
    table: Sequence[Mapping[str, object]] = ()
    figure: go.Figure | None = None
    flags: Sequence[str] = field(default_factory=tuple)
    pictures: Sequence[tuple[str, bytes]] = ()
    tables: Sequence[tuple[str, Sequence[Mapping[str, object]]]] = ()
    asides: Sequence[str] = ()


def _cell(value: object) -> str:
    if value is None:
        return UNKNOWN
    return significant(value) if isinstance(value, float) else html.escape(str(value))


def _td(value: object) -> str:
    """A table cell, right-aligned when it holds a number (:data:`NUMBER`) or stands for a missing one."""
    numeric = value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    numeric = numeric or (isinstance(value, str) and NUMBER.fullmatch(value.strip()) is not None)
    return f"<td class='num'>{_cell(value)}</td>" if numeric else f"<td>{_cell(value)}</td>"


def table_html(rows: Sequence[Mapping[str, object]]) -> str:
    """An HTML table of ``rows`` (columns from the first row), every cell escaped."""
    if not rows:
        return ""
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_td(r.get(c, "")) for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def picture_html(caption: str, png: bytes) -> str:
    """An inline PNG with its caption (escaped, also as the alt text)."""
    text = html.escape(caption)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img class="grid" src="data:image/png;base64,{data}" alt="{text}">'
        f"<figcaption>{text}</figcaption></figure>"
    )


def render_report(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The full HTML document; Plotly.js is inlined with the first figure only."""
    parts: list[str] = []
    plotly_js_written = False
    for section in sections:
        parts.append("<section>" + (f"<h2>{html.escape(section.heading)}</h2>" if section.heading else ""))
        parts.extend(f'<div class="flag">{html.escape(flag)}</div>' for flag in section.flags)
        parts.extend(f'<div class="aside">{html.escape(aside)}</div>' for aside in section.asides)
        if section.note:
            parts.append(f'<p class="note">{html.escape(section.note)}</p>')
        parts.append(table_html(section.table))
        parts.extend(picture_html(caption, png) for caption, png in section.pictures)
        for caption, rows in section.tables:
            parts += [f'<p class="note">{html.escape(caption)}</p>', table_html(rows)]
        if section.figure is not None:
            parts.append(
                pio.to_html(
                    section.figure,
                    full_html=False,
                    include_plotlyjs=not plotly_js_written,
                    config={"displaylogo": False},
                )
            )
            plotly_js_written = True
        parts.append("</section>")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='subtitle'>{html.escape(subtitle)}</p>"
        + "".join(parts)
        + f"<footer>Generated by tlstudio on {stamp}.</footer></body></html>\n"
    )
