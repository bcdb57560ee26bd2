"""A run an older tlstudio stored (its config lacks a field of today's): ``runs show`` says so (QA
helper-157: a 2026-12-01 run of deep_coral+im showed params={}, today's default Deep CORAL layer, but it
had trained on the features at weight 100, the defaults of its day)."""

from __future__ import annotations

import json
import os

import pytest
from fake_workers import make_config

from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def _shown(workspace: Workspace, capsys: pytest.CaptureFixture[str], run_id: str) -> list[str]:
    assert main(["--workspace", str(workspace.root), "runs", "show", run_id]) == 0
    return capsys.readouterr().out.splitlines()


def test_runs_show_names_the_fields_an_older_versions_config_lacks(
    workspace: Workspace, store: RunStore, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(seed=3)
    runs = [store.create(config) for _ in range(2)]
    for run_id in runs:
        assert store.start(run_id, os.getpid()) and store.finish(run_id, {"target_accuracy": 0.5})
    assert not [line for line in _shown(workspace, capsys, runs[0]) if line.startswith("  older")]
    stored = config.to_dict()
    del stored["image_size"], stored["ema_decay"]  # written before the fields existed
    assert AdaptConfig.missing_from(stored) == ["image_size", "ema_decay"]
    with store.connect() as conn:
        conn.execute("UPDATE runs SET config = ? WHERE id = ?", (json.dumps(stored), runs[1]))
    out = _shown(workspace, capsys, runs[1])
    (first,) = [i for i, line in enumerate(out) if line.startswith("  older    ")]
    assert " ".join(" ".join(out[first : first + 3]).split()).startswith(
        "older stored by an older tlstudio (before image_size, ema_decay): trained with that version's code "
        "and method defaults; a repeat today may differ"
    )
