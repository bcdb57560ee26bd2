"""Fixtures for the hardening tests: a fresh workspace each, no limit overrides leaking in."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from tlcore.limits import Limits, env_var
from tlcore.workspace import Workspace


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing is written outside tmp paths; every limit starts at its default."""
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(tmp_path / "default-workspace"))
    monkeypatch.setenv("TLSTUDIO_DATA", str(tmp_path / "datasets"))
    for field in fields(Limits):
        monkeypatch.delenv(env_var(field.name), raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.resolve(tmp_path / "workspace")
