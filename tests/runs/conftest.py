"""Fixtures for the run store and job tests: a fresh workspace each, fake workers importable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
