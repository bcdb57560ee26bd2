"""The real pipeline end to end: ``adapt --detach`` from the CLI, a worker process, the stored run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from tlcore.checkpoints import load_checkpoint
from tlcore.cli import main
from tlcore.runs import jobs
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


@pytest.mark.slow
def test_detached_adapt_on_tiny_data(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"  # the target is a file named relative to this folder, not the workspace
    here.mkdir()
    digits = load_digits()
    np.savez(here / "scans.npz", X=digits.images[:300].astype(np.float32) / 16, y=digits.target[:300])
    monkeypatch.chdir(here)
    argv = ["--workspace", str(workspace.root), "adapt", "--source", "mnist5k:n=300"]
    argv += ["--target", "./scans.npz", "--method", "deep_coral", "--epochs", "1", "--detach", "--json"]
    assert main(argv) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    record = jobs.wait(workspace, run_id, timeout=240)
    assert record.status == "done", record.error
    assert record.config["target"] == str(here / "scans.npz")  # the worker runs in the workspace

    store = RunStore(workspace)
    result = store.result(run_id)
    assert 0.0 <= result["target_accuracy"] <= 1.0 and 0.0 <= result["source_only_accuracy"] <= 1.0
    assert {"mmd2", "coral", "a_distance"} <= set(result["gap_before"]) & set(result["gap_after"])
    assert record.headline["target_accuracy"] == result["target_accuracy"]
    assert {e["kind"] for e in store.history(run_id)} >= {"epoch", "done"}
    model, config = load_checkpoint(store.checkpoint_path(run_id))
    assert config == record.config and config["methods"] == ["deep_coral"]
    logits, _ = model(torch.zeros(2, 1, 28, 28))
    assert logits.shape == (2, 10)

    assert main(["--workspace", str(workspace.root), "runs", "show", run_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["artifacts"]["model.pt"] == str(record.folder / "model.pt")
