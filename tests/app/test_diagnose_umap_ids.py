"""Diagnose's UMAP names a hovered sample by its sample id, as the page's tables do (QA helper-249: the
hover said "sample N", N the point's row among both domains' points, not the table's id)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tlcore.data import save_upload
from tlcore.workspace import Workspace


def test_the_umap_hover_names_each_sample_by_its_id(app: Callable[..., AppTest], workspace: Path) -> None:
    ws = Workspace.resolve(workspace)
    rows = "".join(f"S{i:05d},{i % 5},{i / 7:.3f},{'ab'[i % 2]}\n" for i in range(40))
    source = save_upload(ws, "last_year.csv", ("id,f1,f2,label\n" + rows).encode())
    rows = "".join(f"T{i:05d},{i % 4},{i / 3:.3f}\n" for i in range(40))
    target = save_upload(ws, "this_year.csv", ("id,f1,f2\n" + rows).encode())
    at = app("diagnose", source=f"upload:{source}", target=f"upload:{target}")
    assert not at.exception, [e.message for e in at.exception]
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("umap")]
    traces = {t["name"]: t for t in json.loads(chart.proto.spec)["data"]}
    assert traces["source"]["hovertemplate"] == "source<br>sample id %{text}<extra></extra>"
    assert sorted(traces["source"]["text"]) == [f"S{i:05d}" for i in range(40)]
    assert sorted(traces["target"]["text"]) == [f"T{i:05d}" for i in range(40)]
