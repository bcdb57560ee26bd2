"""Diagnose after a restart: the gap report, the explanation and the UMAP come from the workspace's
diagnosis cache with the numbers they were computed with, the page says so, and Recompute computes
them again (and replaces the workspace's entries)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.testing.v1 import AppTest

from tlcore.cli import main
from tlcore.diagnosis_cache import DiagnosisCache

PAIR = {"source": "mnist5k:n=120", "target": "digits:n=120"}


def _reading(at: AppTest) -> dict[str, Any]:
    """The page's gap cards, verdict and the UMAP's points, as a reader sees them."""
    assert not at.exception, [e.message for e in at.exception]
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("umap")]
    return {
        "cards": [(m.label, m.value) for m in at.metric],
        "verdict": [m.value for m in at.markdown][:3],
        "umap": chart.proto.spec,
    }


def _cached_captions(at: AppTest) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption if "from the workspace cache" in c.value]


def _computed(folder: Path) -> list[float]:
    cache = DiagnosisCache(folder)
    return sorted(cache.get(path.stem).computed for path in folder.glob("*.pkl"))


def test_a_restarted_app_reuses_the_diagnosis_and_recomputes_on_demand(app, workspace: Path) -> None:
    first = app("diagnose", **PAIR)
    before = _reading(first)
    assert _cached_captions(first) == [] and not [b for b in first.button if b.label == "Recompute"]
    folder = workspace / "cache" / "diagnoses"
    computed = _computed(folder)
    assert len(computed) == 3  # the gap report, the explanation, the UMAP

    st.cache_data.clear()  # a restarted server holds nothing in memory
    st.cache_resource.clear()
    again = app("diagnose", **PAIR)
    assert _reading(again) == before  # the same cards, verdict and map
    stamp = r"\(from the workspace cache, computed \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\."
    captions = _cached_captions(again)
    assert len(captions) == 2 and re.fullmatch(f"Diagnosis {stamp}", captions[0])
    assert re.fullmatch(f"UMAP {stamp}", captions[1])

    (recompute,) = [b for b in again.button if b.label == "Recompute"]
    recompute.click().run()
    assert _reading(again)["cards"] == before["cards"] and _cached_captions(again) == []
    recomputed = _computed(folder)
    assert len(recomputed) == 3 and min(recomputed) > max(computed)  # every entry replaced


def test_the_page_with_its_defaults_reads_what_diagnose_with_its_defaults_wrote(
    app, workspace: Path, capsys
) -> None:
    """One default for both (tlcore.diagnosis_settings.UMAP_POINTS, PCA_DIM; the explanation keyed on
    the specs its fixes are written on): the page computes nothing diagnose computed, the UMAP included."""
    argv = ["--workspace", str(workspace), "diagnose", "--source", PAIR["source"], "--target", PAIR["target"]]
    assert main([*argv, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    folder = workspace / "cache" / "diagnoses"
    written = {path.name: path.stat().st_size for path in folder.glob("*.pkl")}
    assert len(written) == 3  # the findings, the UMAP, the explanation
    at = app("diagnose", **PAIR)
    captions = _cached_captions(at)
    assert [c.split(" (")[0] for c in captions] == ["Diagnosis", "UMAP"]  # every step read, none computed
    assert {path.name: path.stat().st_size for path in folder.glob("*.pkl")} == written
    cards = dict((m.label, m.value) for m in at.metric)
    assert cards["MMD p-value"] == f"{printed['gap']['p_value']:.3g}"


def test_a_cache_cleared_while_the_app_runs_is_computed_again_not_shown_from_memory(
    app, workspace: Path, capsys
) -> None:
    """``cache --clear`` from another process: the server's kept diagnosis, explanation and UMAP are
    keyed on when the cache was cleared, so the next page run computes them again and the workspace
    holds them again (QA helper-121: the page kept showing its in-memory diagnosis, the folder stayed
    empty, and a restart would compute everything)."""
    first = app("diagnose", **PAIR)
    before = _reading(first)
    folder = workspace / "cache" / "diagnoses"
    computed = _computed(folder)
    assert len(computed) == 3
    assert main(["--workspace", str(workspace), "cache", "--clear"]) == 0
    assert "removed 3 entries" in capsys.readouterr().out and _computed(folder) == []

    again = app("diagnose", **PAIR)  # the same server: nothing dropped from memory but by the clear
    assert _reading(again)["cards"] == before["cards"] and _cached_captions(again) == []
    recomputed = _computed(folder)
    assert len(recomputed) == 3 and min(recomputed) > max(computed)
