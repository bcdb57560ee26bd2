"""Fixtures for the run store and job tests: a fresh workspace each, fake workers importable, and
the done runs of one pair that the selection rule judges (built once, copied per test)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.selection.helpers import candidate, probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

HERE = Path(__file__).resolve().parent


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace in tmp_path; worker processes can import ``fake_workers`` from this folder."""
    paths = [str(HERE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    return Workspace.resolve(tmp_path / "ws")


@pytest.fixture
def store(workspace: Workspace) -> RunStore:
    return RunStore(workspace)


@pytest.fixture(scope="session")
def judged_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[str]]:
    """A workspace with three done runs of ``mnist5k -> digits`` that the selection rule judges
    (stand-in validators and predictions, no training), oldest first; copy it before changing it."""
    store = RunStore(Workspace.resolve(tmp_path_factory.mktemp("judged") / "ws"))
    labels = np.arange(30) % 3
    before = probabilities(np.where(np.arange(30) < 20, labels, (labels + 1) % 3), 0.6)
    ids = []
    for confidence in (0.7, 0.8, 0.9):
        made = candidate("x", before, probabilities(labels, confidence))
        run_id = store.create(AdaptConfig("mnist5k", "digits", ("im",)))
        assert store.start(run_id, os.getpid())
        result = {"validators": made.validators.to_dict(), "target_accuracy": confidence}
        assert store.finish(run_id, result, write_predictions=made.predictions.save)
        ids.append(run_id)
    return store.workspace, ids


@pytest.fixture
def judged_copy(judged_pair: tuple[Workspace, list[str]], tmp_path: Path) -> tuple[Workspace, list[str]]:
    """A copy of :func:`judged_pair`'s workspace of this test's own."""
    workspace, ids = judged_pair
    return Workspace.resolve(shutil.copytree(workspace.root, tmp_path / "copy")), ids
