"""A self-contained HTML report: headings, tables, notes, pictures and Plotly figures in one file.

Plotly.js is inlined once, at the end, gzipped (:func:`packed_plotlyjs`: 2 MB, not 4.8 MB, of a
diagnosis report of some 35 kB besides: QA helper-246) and unpacked by the browser (:data:`UNPACK`),
and pictures are inline base64 PNGs (the file opens offline), decoded only when they near the view
(``loading="lazy"``: Chromium defers data: URIs too, and loads every one before printing), their size
held. A figure is drawn only when it scrolls near the view (an IntersectionObserver; every one before
printing): its JSON waits in the page in a ``<script type="application/json">``, lighter
(:func:`figure_json`), so a report of 62 runs and 189 figures shows its text at once instead of after
minutes of drawing. Every string that may
come from a user (titles, run labels, class names, table cells, captions) is escaped with
:func:`html.escape`.
A float cell is written by :func:`tlcore.numbers.significant` (4 significant digits: ``1,797``,
``0.8123``, an MMD² of ``3.2e-05``; a section's ``formats`` give a column its own writer of numbers, a
score's 3 significant digits ``0.739`` or an ESS's one decimal ``4.7``, as the app shows them), a
share in one of a section's ``percent_columns`` (an accuracy) by :func:`tlcore.numbers.percent`
(``83.5%``, as the app's table shows it). Table cells holding a number (or a number written with its
unit, :data:`NUMBER`) are right-aligned, text left-aligned, a missing value (None: e.g. the accuracies
of an unlabelled target) is :data:`UNKNOWN`; ``flags`` are alerts (red), ``asides`` neutral notes.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import json
import re
import struct
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from tlcore.numbers import percent, significant

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1d2433; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .subtitle { color: #5b6478; margin-top: 0; }
div.table { overflow-x: auto; margin: 0.5rem 0 1.5rem; }
table { border-collapse: collapse; font-size: 0.92rem; } td.prose { min-width: 16rem; }
th, td { border: 1px solid #d8dce5; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; } th { background: #f2f4f8; }
.flag { background: #fde8e8; border-left: 4px solid #d62728; padding: 0.5rem 0.8rem; margin: 0.4rem 0; }
.aside { background: #f2f4f8; border-left: 4px solid #8a93a6; padding: 0.5rem 0.8rem; margin: 0.4rem 0; }
.note { color: #5b6478; } footer { color: #8a93a6; font-size: 0.8rem; margin-top: 3rem; }
img.grid { image-rendering: pixelated; max-width: 100%; height: auto; }
figure { display: inline-block; margin: 0 1rem 1rem 0; } figcaption { color: #5b6478; font-size: 0.85rem; }
"""
UNKNOWN = "—"  # a number the run could not measure, as the app's tables show it
PROSE_CELL = 40  # characters from which a table cell is a sentence, given a reading width
FIGURE_DIGITS = 6  # a float in a figure's data: finer than a pixel unless its values spread under 0.1%
FIGURE_HEIGHT = 450  # px, Plotly's default, held by a figure not drawn yet
LOADER = """(function () {
  var templates = JSON.parse(document.getElementById("figure-templates").textContent);
  var figures = document.querySelectorAll("div.plotly-graph-div[data-figure]");
  function draw(div) {
    if (div.dataset.drawn) return;
    div.dataset.drawn = "1";
    var figure = JSON.parse(document.getElementById(div.dataset.figure).textContent);
    figure.layout.template = templates[figure.template];
    Plotly.newPlot(div, figure.data, figure.layout, figure.config);
  }
  window.addEventListener("beforeprint", function () { figures.forEach(draw); });
  if (!("IntersectionObserver" in window)) { figures.forEach(draw); return; }
  var near = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) { near.unobserve(e.target); draw(e.target); } });
  }, {rootMargin: "600px 0px"});  // drawn once it comes within 600 px of the view
  figures.forEach(function (div) { near.observe(div); });
})();"""
# Plotly.js unpacked (DecompressionStream: Chromium 80, Firefox 113, Safari 16.4) and run, then LOADER
UNPACK = """(function () {
  var packed = atob(document.getElementById("plotly-js").textContent);
  var bytes = new Uint8Array(packed.length);
  for (var i = 0; i < packed.length; i++) bytes[i] = packed.charCodeAt(i);
  var code = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  new Response(code).text().then(function (js) {
    var script = document.createElement("script");
    script.textContent = js;  // run at once, as an inline script
    document.body.appendChild(script);
    /* LOADER */
  });
})();""".replace("/* LOADER */", LOADER.replace("\n", "\n    "))
Format = Callable[[float], str]  # a column's numbers as text: tlcore.numbers.score_text, ess_text
NUMBER = re.compile(r"[-+≈]?\s*[\d.,]+(e[-+]?\d+)?\s*(x|%|s)?")  # 646,565  +1,797  3.2e-05  948x  56%


@dataclass(frozen=True)
class Section:
    """One part of the report: a heading and any of a note, a table (its ``percent_columns``: shares,
    written as percents; ``formats``: a column's writer of numbers where not :func:`significant`'s 4
    digits; ``titles``: ``{column: {cell: what it means}}``, said on hover over such a cell; ``legend``: lines
    under it), pictures (``(caption, PNG bytes)``), captioned tables (``(caption, rows)``), a figure."""

    heading: str
    note: str = ""
    table: Sequence[Mapping[str, object]] = ()
    figure: go.Figure | None = None
    flags: Sequence[str] = field(default_factory=tuple)
    pictures: Sequence[tuple[str, bytes]] = ()
    tables: Sequence[tuple[str, Sequence[Mapping[str, object]]]] = ()
    asides: Sequence[str] = ()
    percent_columns: Collection[str] = ()
    formats: Mapping[str, Format] = field(default_factory=dict)
    titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    legend: Sequence[str] = ()


def _cell(value: object, share: bool = False, written: Format | None = None) -> str:
    if value is None:
        return UNKNOWN
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if share and number:
        return percent(value)
    if written is not None and number:
        return html.escape(written(value))
    return significant(value) if isinstance(value, float) else html.escape(str(value))


def _td(value: object, share: bool = False, written: Format | None = None, title: str | None = None) -> str:
    """A table cell, right-aligned when it holds a number (:data:`NUMBER`) or stands for a missing one;
    a sentence (:data:`PROSE_CELL` characters or more) keeps a reading width instead of a narrow column
    many lines tall (QA: an alarm's verdict 102 px wide, its rows ~300 px tall); ``title``: said on hover."""
    numeric = value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    numeric = numeric or (isinstance(value, str) and NUMBER.fullmatch(value.strip()) is not None)
    kind = " class='num'" if numeric else " class='prose'" if len(str(value)) >= PROSE_CELL else ""
    said = "" if title is None else f" title='{html.escape(title)}'"
    return f"<td{kind}{said}>{_cell(value, share, written)}</td>"


def table_html(
    rows: Sequence[Mapping[str, object]],
    percent_columns: Collection[str] = (),
    formats: Mapping[str, Format] | None = None,
    titles: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """An HTML table of ``rows`` (columns from the first row), every cell escaped, the numbers of
    ``percent_columns`` as percents, those of ``formats``' columns by their column's writer, a cell
    that ``titles`` gives words (``{column: {cell: words}}``) saying them on hover, in a box that
    scrolls sideways when the table is wider than the page (the page itself never does)."""
    if not rows:
        return ""
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    written, said = formats or {}, titles or {}

    def td(row: Mapping[str, object], column: str) -> str:
        value = row.get(column, "")
        title = said.get(column, {}).get(value) if isinstance(value, str) else None
        return _td(value, column in percent_columns, written.get(column), title)

    cells = ("".join(td(r, c) for c in columns) for r in rows)
    body = "".join(f"<tr>{row}</tr>" for row in cells)
    return f"<div class='table'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def picture_html(caption: str, png: bytes) -> str:
    """An inline PNG with its caption (escaped, also as the alt text), decoded when it nears the view, its
    width and height held so the page does not move as it appears (QA: a 33-run report decoded its 87
    thumbnails, 1.68 MB, while loading)."""
    text = html.escape(caption)
    data = base64.b64encode(png).decode("ascii")
    size = png_size(png)
    held = "" if size is None else f'width="{size[0]}" height="{size[1]}" '
    return (
        f'<figure><img class="grid" src="data:image/png;base64,{data}" {held}'
        f'loading="lazy" decoding="async" alt="{text}">'
        f"<figcaption>{text}</figcaption></figure>"
    )


def png_size(png: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG's IHDR chunk (bytes 16-24, big-endian), None when ``png`` has none
    (a picture that is no PNG is still shown, only not held to a size)."""
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _lighter(value: object) -> object:
    """``value`` (a figure's JSON) with every float to :data:`FIGURE_DIGITS` significant digits and
    every float64 array (Plotly's base64 ``{"dtype": "f8", "bdata": ...}``) as float32 (7 digits)."""
    if isinstance(value, float):
        return float(f"{value:.{FIGURE_DIGITS}g}")
    if isinstance(value, list):
        return [_lighter(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("dtype") == "f8" and isinstance(value.get("bdata"), str):
        floats = np.frombuffer(base64.b64decode(value["bdata"]), dtype="<f8").astype("<f4")
        return value | {"dtype": "f4", "bdata": base64.b64encode(floats.tobytes()).decode("ascii")}
    return {k: _lighter(v) for k, v in value.items()}


def _script_json(value: object) -> str:
    """JSON to sit in a ``<script>`` element: ``<`` and ``>`` are written ``\\u003c`` and ``\\u003e``, as
    Plotly writes them, so no string closes the element."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def figure_json(figure: go.Figure, templates: list[str]) -> str:
    """The figure's data, layout and config as :func:`_lighter` JSON; its layout's template (7 kB, the
    same in every figure) is written once: the figure holds its index in ``templates``, appended when new.
    A WebGL scatter (the UMAPs) is drawn as SVG: Chromium keeps 16 WebGL contexts a page and blanks the
    oldest (a report of 62 runs has 124 UMAPs), and SVG prints."""
    spec = _lighter(json.loads(figure.to_json()))
    for trace in spec["data"]:
        if trace.get("type") == "scattergl":
            trace["type"] = "scatter"
    template = _script_json(spec["layout"].pop("template", {}))
    if template not in templates:
        templates.append(template)
    config = {"displaylogo": False, "responsive": True}
    figure_spec = {"data": spec["data"], "layout": spec["layout"], "config": config}
    return _script_json(figure_spec | {"template": templates.index(template)})


def figure_html(figure: go.Figure, number: int, templates: list[str]) -> str:
    """The place of figure ``number``, its size held, and its :func:`figure_json`, drawn by :data:`LOADER`."""
    height = figure.layout.height or FIGURE_HEIGHT
    return (
        f'<div id="figure-{number}" class="plotly-graph-div" data-figure="figure-{number}-data" '
        f'style="height:{height}px; width:100%;"></div>'
        f'<script type="application/json" id="figure-{number}-data">{figure_json(figure, templates)}</script>'
    )


@functools.cache
def packed_plotlyjs() -> str:
    """Plotly.js gzipped, in base64 (what :data:`UNPACK` reads): 2.0 MB instead of 4.8 MB."""
    return base64.b64encode(gzip.compress(get_plotlyjs().encode(), 9, mtime=0)).decode()


def render_report(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The full HTML document: Plotly.js and :data:`LOADER` are inlined at its end when it has a figure."""
    parts: list[str] = []
    templates: list[str] = []
    figures = 0
    for section in sections:
        parts.append("<section>" + (f"<h2>{html.escape(section.heading)}</h2>" if section.heading else ""))
        parts.extend(f'<div class="flag">{html.escape(flag)}</div>' for flag in section.flags)
        if section.note:  # before the asides: the verdict's headline before its next step (QA helper-246)
            parts.append(f'<p class="note">{html.escape(section.note)}</p>')
        parts.extend(f'<div class="aside">{html.escape(aside)}</div>' for aside in section.asides)
        parts.append(table_html(section.table, section.percent_columns, section.formats, section.titles))
        parts.extend(f'<p class="note">{html.escape(line)}</p>' for line in section.legend if section.table)
        parts.extend(picture_html(caption, png) for caption, png in section.pictures)
        for caption, rows in section.tables:
            parts += [f'<p class="note">{html.escape(caption)}</p>', table_html(rows)]
        if section.figure is not None:
            figures += 1
            parts.append(figure_html(section.figure, figures, templates))
        parts.append("</section>")
    scripts = (
        f'<script type="application/json" id="figure-templates">[{",".join(templates)}]</script>'
        f"<script>window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>"
        f'<script type="text/plain" id="plotly-js">{packed_plotlyjs()}</script><script>{UNPACK}</script>'
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='subtitle'>{html.escape(subtitle)}</p>"
        + "".join(parts)
        + f"<footer>Generated by tlstudio on {stamp}.</footer>"
        + (scripts if figures else "")
        + "</body></html>\n"
    )
