"""User-supplied names reach every page and the downloaded report as text, never as markup.

Stored runs carry a source spec and class names with HTML in them (as a CLI user or an upload could
give them); the Adapt and Compare pages and the Compare page's HTML report must show them escaped.
``tests/app/test_pages.py`` covers class names from an upload on the Data page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
OpenApp = Callable[..., AppTest]
MARKUP_KINDS = ("markdown", "caption", "info", "error", "warning", "success", "metric")


def _result(config: AdaptConfig) -> dict[str, Any]:
    """A done run's result whose second class is called ``EVIL``."""
    classes = ["0", EVIL]
    umap = {
        "x": [0.0, 1.0, 2.0, 3.0],
        "y": [0.0, 1.0, 0.0, 1.0],
        "domain": ["source", "source", "target", "target"],
        "label": [0, 1, 0, 1],
        "prediction": [0, 1, 1, 1],
        "classes": classes,
    }
    return {
        "config": config.to_dict(),
        "target_accuracy": 0.5,
        "source_only_accuracy": 0.75,  # negative transfer: the page and report flag the run
        "source_accuracy": 0.9,
        "per_class_accuracy": {"0": 0.5, EVIL: 1.0},
        "confusion": [[1, 1], [0, 1]],
        "gap_before": {"mmd2": 0.3, "coral": 1.0, "a_distance": 1.9},
        "gap_after": {"mmd2": 0.1, "coral": 0.5, "a_distance": 1.2},
        "umap_before": umap,
        "umap_after": umap,
        "history": [{"stage": "adapt", "epoch": 1.0, "loss": 0.8}],
        "seconds": 1.0,
    }


@pytest.fixture
def hostile_runs(workspace: Path) -> RunStore:
    """A done run on the pair ``EVIL`` → digits with a class ``EVIL``, and a failed one quoting it."""
    store = RunStore(Workspace.resolve(workspace))
    config = AdaptConfig(source=f"upload:{EVIL}", target="digits", methods=("dann",), epochs=1)
    done = store.create(config)
    store.start(done, os.getpid())
    store.finish(done, _result(config))
    failed = store.create(config)
    store.start(failed, os.getpid())
    store.end(failed, "failed", f"unknown upload {EVIL!r}")
    return store


def markup_texts(at: AppTest) -> list[str]:
    """Every string the page hands to Markdown (texts, alerts, metric labels), as sent."""
    return [str(el.value) + str(getattr(el, "label", "")) for kind in MARKUP_KINDS for el in at.get(kind)]


def chart_texts(at: AppTest) -> list[str]:
    """Every Plotly chart's figure with its strings decoded (the wire format escapes ``<``)."""
    return [json.dumps(json.loads(el.proto.spec)) for el in at.get("plotly_chart")]


def deferred_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """``{file name: callable}`` of the download buttons whose data is made on click."""
    made: dict[str, Callable[[], Any]] = {}
    add = MediaFileManager.add_deferred

    def spy(self: MediaFileManager, data: Callable[[], Any], *args: Any, **kwargs: Any) -> str:
        made[kwargs.get("file_name") or ""] = data
        return add(self, data, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return made


def test_adapt_page_shows_hostile_run_names_as_text(app: OpenApp, hostile_runs: RunStore) -> None:
    at = app("adapt", source=f"upload:{EVIL}", target="digits")  # the page lists the sidebar pair's runs
    assert not at.exception, [e.message for e in at.exception]
    texts = markup_texts(at)
    assert sum("alert" in t for t in texts) >= 3  # both runs' pair captions and the failure's reason
    assert not [t for t in texts if EVIL in t]


def test_compare_page_and_its_report_escape_hostile_names(
    app: OpenApp, hostile_runs: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = deferred_downloads(monkeypatch)
    at = app("compare")  # the run is of another pair than the sidebar's: shown once chosen
    (done,) = hostile_runs.list(status="done")
    next(m for m in at.multiselect if m.label == "Runs").set_value([done.id]).run()
    assert not at.exception, [e.message for e in at.exception]
    texts, charts = markup_texts(at), chart_texts(at)
    assert any("Negative transfer" in t for t in texts)  # the flag for the run below its baseline
    assert not [t for t in texts if EVIL in t]
    assert len(charts) >= 5 and any("alert(1)" in c for c in charts)  # UMAPs, confusion, per class
    assert not [c for c in charts if "<script" in c]

    report = downloads["tlstudio-report.html"]()
    assert "alert(1)" in report and EVIL not in report
    assert f"Pairs: upload:{ESCAPED} → digits" in report  # the run's source spec
    assert f"<td>upload:{ESCAPED}</td>" in report  # the runs table


@pytest.mark.parametrize("page", ["data", "diagnose", "adapt", "compare"])
def test_choice_labels_are_plain_text(app: OpenApp, hostile_runs: RunStore, page: str) -> None:
    """Select boxes show options as plain text: a Markdown escape there would show its backslash."""
    config = AdaptConfig(source="mnist5k", target="digits", methods=("deep_coral", "im"), epochs=1)
    run_id = hostile_runs.create(config)  # "deep_coral+im": Markdown would escape "_" and "+"
    hostile_runs.start(run_id, os.getpid())
    hostile_runs.finish(run_id, _result(config))
    at = app(page)
    assert not at.exception, [e.message for e in at.exception]
    widgets = [*at.selectbox, *at.multiselect]
    assert widgets
    for widget in widgets:
        shown = [str(option) for option in widget.options]
        assert not [o for o in shown if "\\" in o], (widget.label, shown)
