"""Fixtures for the hardening tests: a fresh workspace each (no limit overrides: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.workspace import Workspace


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing is written outside tmp paths (every limit at its default: tests/conftest.py)."""
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(tmp_path / "default-workspace"))
    monkeypatch.setenv("TLSTUDIO_DATA", str(tmp_path / "datasets"))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.resolve(tmp_path / "workspace")
