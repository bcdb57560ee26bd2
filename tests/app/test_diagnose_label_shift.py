"""The Diagnose page reads the label shift with the source-only model the CLI picks for the chosen
feature space (``diagnose --features run:ID``), and shows the CLI's numbers."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tlcore.adapt.cache import BaselineCache
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.runs import jobs
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
SOURCE, TARGET = "mnist5k:n=120", "digits:n=120"


def plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def missing_model(at: AppTest) -> bool:
    return any("no source-only model" in plain(i.value) for i in at.info)


def test_a_runs_feature_space_reads_the_label_shift_with_the_clis_model(
    app: OpenApp, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source_only run whose cached baseline is gone: in raw features the pair has no source-only
    model, in the run's features the run's own model is one (as ``diagnose --features run:ID`` says)."""
    ws = Workspace.resolve(workspace)
    config = AdaptConfig(source=SOURCE, target=TARGET, methods=("source_only",), epochs=1)
    record = jobs.run_inline(ws, config)
    assert record.status == "done", record.error
    shutil.rmtree(BaselineCache.of_workspace(ws).folder or "")
    argv = ["--workspace", str(workspace), "diagnose", "--source", SOURCE, "--target", TARGET, "--json"]
    argv += ["--features", f"run:{record.id}", "--no-umap", "--no-explain", "--permutations", "50"]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)["label_shift_estimate"]
    assert "em" in cli, cli

    at = app("diagnose", source=SOURCE, target=TARGET)
    assert not at.exception, [e.message for e in at.exception]
    assert missing_model(at)  # raw features: the pair's cached baseline is gone
    (space,) = [s for s in at.selectbox if s.label == "Feature space"]
    space.set_value(record.id).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not missing_model(at), [i.value for i in at.info]
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("proportions")]
    bars = {trace["name"]: trace["y"] for trace in json.loads(chart.proto.spec)["data"]}
    assert bars["target (EM)"] == pytest.approx(cli["em"]["priors"])
    assert bars["target (BBSE)"] == pytest.approx(cli["bbse"]["priors"])
