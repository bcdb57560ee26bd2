"""Diagnose's figures are built once per diagnosis: a rerun that changes none of their inputs (a widget
elsewhere, a plain rerun, the same results read back from the workspace's cache) only draws them
again; "Colour by" builds the UMAP it asks for, and "Recompute" builds every figure anew."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import streamlit as st

from tlcore.views import class_gaps, explain_figures, umap_figure

PAIR = {"source": "mnist5k:n=120", "target": "digits:n=120"}
BUILDERS = [
    (class_gaps, "class_gap_figure"),
    (explain_figures, "findings_figure"),
    (explain_figures, "mean_images_figure"),
    (umap_figure, "umap_scatter"),
]


def _counted(built: Counter[str], name: str, build: Callable[..., Any]) -> Callable[..., Any]:
    def counting(*args: Any, **kwargs: Any) -> Any:
        built[name] += 1
        return build(*args, **kwargs)

    return counting


def test_a_rerun_with_the_same_diagnosis_builds_no_figure(app, monkeypatch: pytest.MonkeyPatch) -> None:
    built: Counter[str] = Counter()
    for module, name in BUILDERS:
        monkeypatch.setattr(module, name, _counted(built, name, getattr(module, name)))
    at = app("diagnose", **PAIR)
    assert not at.exception, [e.message for e in at.exception]
    first = dict(built)
    assert first == {name: 1 for _, name in BUILDERS}  # every figure of this image pair, once
    charts = [c.proto.spec for c in at.get("plotly_chart")]

    at.run()
    at.run()
    assert dict(built) == first  # nothing rebuilt
    assert [c.proto.spec for c in at.get("plotly_chart")] == charts  # and the same figures drawn

    (colour_by,) = at.get("segmented_control")
    colour_by.set_value("label").run()
    assert built["umap_scatter"] == 2 and built - Counter(umap_scatter=1) == Counter(first)
    colour_by.set_value("domain").run()  # the domain map again: this server holds it
    assert built["umap_scatter"] == 2

    st.cache_data.clear()  # the diagnosis read back from the workspace's cache: the same results
    at.run()
    assert dict(built) == first | {"umap_scatter": 2}
    (recompute,) = [b for b in at.button if b.label == "Recompute"]
    recompute.click().run()  # computed anew: new results, new figures
    assert not at.exception, [e.message for e in at.exception]
    assert dict(built) == {name: n + 1 for name, n in first.items()} | {"umap_scatter": 3}
