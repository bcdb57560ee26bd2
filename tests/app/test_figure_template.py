"""A figure carries only the part of ``plotly_white`` its traces and axes use: a third of the template's
bytes, sent with every draw of every chart, and the same look (every default it keeps is
``plotly_white``'s, and every trace type the views draw keeps its defaults)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.io as pio

from tlcore.views import curves, figures

VIEWS = Path(figures.__file__).parent
WHITE = pio.templates["plotly_white"].to_plotly_json()


def _template(spec: str) -> dict:
    return json.loads(spec)["layout"]["template"]


def test_a_run_chart_carries_a_third_of_the_template() -> None:
    rows = [{"epoch": e, "loss": 1 / e, "target_accuracy": 0.5 + e / 40} for e in range(1, 11)]
    spec = curves.learning_curves({"run": rows}, "Training curves").to_json()
    template = _template(spec)
    size = len(json.dumps(template, separators=(",", ":")))
    assert size < 2_500 and len(json.dumps(WHITE, separators=(",", ":"))) > 6_500  # was all of it
    assert len(spec) < 4_000
    assert sorted(template["data"]) == sorted(figures.TRACES)
    assert not set(template["layout"]) & set(figures.SUBPLOTS)
    # what is kept is plotly_white's, value for value: the same look
    assert all(template["data"][trace] == WHITE["data"][trace] for trace in figures.TRACES)
    assert template["layout"] == {k: v for k, v in WHITE["layout"].items() if k not in figures.SUBPLOTS}


def test_every_trace_type_the_views_draw_keeps_its_defaults() -> None:
    drawn = {
        name.lower()
        for path in VIEWS.glob("*.py")
        for name in re.findall(r"\bgo\.([A-Z]\w+)\(", path.read_text())
        if name not in {"Figure"}
    }
    assert {"bar", "heatmap", "image", "scatter", "scattergl"} <= drawn  # the scan finds them
    assert drawn & set(WHITE["data"]) <= set(figures.TRACES)
