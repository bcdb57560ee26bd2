"""``runs rank --report`` writes the Compare page's HTML report (stand-in validators and predictions,
no training)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from tests.selection.helpers import candidate, probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def judged_runs(workspace: Workspace, target: str) -> list[str]:
    """Two done runs of ``mnist5k -> target`` with stand-in scores and predictions over 30 samples."""
    store = RunStore(workspace)
    labels = np.arange(30) % 3
    before = probabilities(labels, 0.6)
    ids = []
    for confidence in (0.7, 0.9):
        made = candidate("x", before, probabilities(labels, confidence))
        run_id = store.create(AdaptConfig("mnist5k", target, ("im",)))
        assert store.start(run_id, os.getpid())
        result = {"validators": made.validators.to_dict(), "config": store.get(run_id).config}
        assert store.finish(run_id, result, write_predictions=made.predictions.save)
        ids.append(run_id)
    return ids


def rank(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], target: str, *argv: str
) -> tuple[int, str, str]:
    code = main(
        ["--workspace", str(workspace.root), "runs", "rank", "--source", "mnist5k", "--target", target, *argv]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_runs_rank_report_writes_the_compare_report(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    judged_runs(workspace, "digits:n=30")
    code, out, _ = rank(workspace, capsys, "digits:n=30", "--json")
    ranking = json.loads(out)
    ranked = [entry["run_id"] for entry in ranking["entries"]]  # best first
    path = tmp_path / "compare.html"
    code, out, _ = rank(workspace, capsys, "digits:n=30", "--report", str(path))
    assert code == 0
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    titles = re.findall("<h2>([^<]*)</h2>", page)  # labelled as the Compare page labels the runs
    moved = [f"Where the predictions of im · {run_id[-6:]} moved" for run_id in ranked]
    assert titles == ["Which run to keep, without target labels", "Runs", "Domain gap", *moved]
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, no temporary left
    code, out, err = rank(workspace, capsys, "digits:n=30", "--report", str(tmp_path / "no" / "c.html"))
    assert (
        code == 2
        and out == ""
        and err == f"error: --report {tmp_path / 'no' / 'c.html'}: no folder {tmp_path / 'no'}\n"
    )
    code, _, err = rank(workspace, capsys, "digits:n=30", "--report", str(tmp_path))
    assert code == 2 and err == f"error: --report {tmp_path}: it is a folder; name an .html file\n"
