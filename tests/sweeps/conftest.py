"""Fixtures for the sweep tests: a fresh workspace each, the stand-in workers importable everywhere
(this process, launched workers, Ray workers)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sweep_env import WORKER_PATHS, worker_pythonpath

from tests.worker_start import record_worker_start
from tlcore.workspace import Workspace

sys.path[:0] = [p for p in WORKER_PATHS if p not in sys.path]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("PYTHONPATH", worker_pythonpath())
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "4")  # the driver's max_concurrent is what caps trials
    return Workspace.resolve(record_worker_start(tmp_path / "ws"))
