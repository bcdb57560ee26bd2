"""The HTML report's figures: drawn only when they near the view, their JSON in the page, lighter."""

from __future__ import annotations

import base64
import gzip
import html
import io
import json
import re

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.offline import get_plotlyjs

from tlcore.views import figures, report, umap_figure
from tlcore.views.report import STYLE, table_html

EVIL = "</script><script>alert(1)</script>"
FLOATS = [0.791946291923523, 0.014316409491002657, 1797.4412345678, 3.2012345678e-05]


def figure_specs(page: str) -> list[dict]:
    """Each figure's JSON as the page holds it, in order."""
    found = re.findall(r'<script type="application/json" id="figure-\d+-data">(.*?)</script>', page)
    return [json.loads(text) for text in found]


def test_figures_wait_in_the_page_and_are_drawn_when_near_the_view() -> None:
    """QA: a 62-run report drew its 189 figures while loading, 174 s before the page could be read."""
    sections = [
        report.Section("a", figure=figures.accuracy_vs_baseline({"run": 0.4}, {"run": 0.5})),
        report.Section("b", figure=figures.per_class_gap({"a": 1.0})),
    ]
    page = report.render_report("t", "s", sections)
    specs = figure_specs(page)
    assert len(specs) == 2 and page.count('class="plotly-graph-div"') == 2
    assert page.count("Plotly.newPlot(") == 1  # the loader's, called per figure as it scrolls near
    assert "new IntersectionObserver" in page and '"beforeprint"' in page  # printing draws them all
    assert page.index("figure-2-data") < page.index("<footer>") < page.index('id="plotly-js"')  # text first
    templates = json.loads(re.search(r'id="figure-templates">(.*?)</script>', page).group(1))
    assert len(templates) == 1 and all(s["template"] == 0 and "template" not in s["layout"] for s in specs)
    assert [t["type"] for t in specs[1]["data"]] == [t.type for t in sections[1].figure.data]


def test_plotly_js_is_inlined_once_gzipped_and_unpacked_before_the_figures_are_drawn() -> None:
    """QA helper-246: a diagnosis report of 35 kB of content weighed 4.8 MB, Plotly.js inlined whole."""
    page = report.render_report("t", "s", [report.Section("a", figure=figures.per_class_gap({"a": 1.0}))])
    (packed,) = re.findall(r'<script type="text/plain" id="plotly-js">(.*?)</script>', page)
    assert gzip.decompress(base64.b64decode(packed)).decode() == get_plotlyjs()
    assert 1_500_000 < len(page) < 2_100_000  # was 4.8 MB
    assert page.count("Plotly.newPlot(") == 1 and 'DecompressionStream("gzip")' in page
    unpack = page.index("new DecompressionStream")
    assert unpack < page.index("appendChild(script)") < page.index("new IntersectionObserver")  # then drawn


def test_a_figures_floats_keep_six_digits_and_float64_arrays_become_float32() -> None:
    fig = go.Figure(go.Bar(x=["a", "b", "c", "d"], y=FLOATS))
    fig.add_trace(go.Heatmap(z=np.array([[0.6, 1 / 3], [2 / 3, 0.0]])))
    spec = json.loads(report.figure_json(fig, []))
    assert spec["data"][0]["y"] == [0.791946, 0.0143164, 1797.44, 3.20123e-05]
    z = spec["data"][1]["z"]
    assert z["dtype"] == "f4" and z["shape"] == "2, 2"
    values = np.frombuffer(base64.b64decode(z["bdata"]), dtype="<f4")
    np.testing.assert_allclose(values, [0.6, 1 / 3, 2 / 3, 0.0], rtol=1e-7)


def test_umaps_are_drawn_as_svg_and_strings_cannot_close_the_script() -> None:
    """Chromium keeps 16 WebGL contexts a page: a report's 124 WebGL UMAPs went blank as it scrolled."""
    coords = np.random.default_rng(0).normal(size=(30, 2))
    fig = umap_figure.umap_scatter(coords, ["source"] * 20 + [EVIL] * 10)
    page = report.render_report("t", "s", [report.Section("UMAP", figure=fig)])
    assert EVIL not in page and "<script>alert(1)" not in page
    (spec,) = figure_specs(page)
    assert [t["type"] for t in spec["data"]] == ["scatter", "scatter"]
    assert [t["hovertemplate"] for t in spec["data"]] == [t.hovertemplate for t in fig.data]


def test_a_wide_table_scrolls_in_its_box_and_a_sentence_keeps_a_reading_width() -> None:
    """QA: the ranking table (1285 px) made the whole report scroll sideways, and its alarm verdicts,
    in a 102 px column, made each row ~300 px tall."""
    verdict = "false alarm: target accuracy +3.7 pts against source-only (within chance, p = 0.21)"
    page = table_html([{"run": "dann · 3f2a1c", "alarm right?": verdict, "EnsV": 0.885}])
    assert page.startswith("<div class='table'><table>") and page.endswith("</table></div>")
    assert f"<td class='prose'>{html.escape(verdict)}</td>" in page and "<td>dann · 3f2a1c</td>" in page
    assert "div.table { overflow-x: auto;" in STYLE and "td.prose { min-width: 16rem; }" in STYLE


def test_pictures_are_decoded_when_near_the_view_their_size_held() -> None:
    """QA: a 33-run report decoded its 87 thumbnails (1.68 MB) while loading; lazy, each keeps its size
    (the page does not move as it appears) and prints (Chromium loads every lazy image before printing)."""
    buffer = io.BytesIO()
    Image.new("L", (37, 21), 128).save(buffer, format="PNG")
    page = report.render_report(
        "t", "s", [report.Section("Mean images", pictures=[("a → b", buffer.getvalue())])]
    )
    (img,) = re.findall(r"<img [^>]*>", page)
    assert 'width="37" height="21"' in img and 'loading="lazy"' in img and 'alt="a → b"' in img
    assert "img.grid { image-rendering: pixelated; max-width: 100%; height: auto; }" in STYLE
