"""Fixtures for the data-layer tests: every test runs in its own workspace, datasets in a shared tmp root."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.data.builtin import load_builtin
from tlcore.data.domain import Domain
from tlcore.workspace import Workspace


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data root for the session, so Fashion-MNIST is unpacked once."""
    return tmp_path_factory.mktemp("datasets")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_root: Path) -> None:
    """Nothing is written outside tmp paths (no limit override leaks in: tests/conftest.py)."""
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(tmp_path / "default-workspace"))
    monkeypatch.setenv("TLSTUDIO_DATA", str(data_root))
    monkeypatch.delenv("TLSTUDIO_FASHION_DIR", raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.resolve(tmp_path / "workspace")


@pytest.fixture(scope="session")
def mnist5k() -> Domain:
    return load_builtin("mnist5k")


@pytest.fixture(scope="session")
def digits_small(mnist5k: Domain) -> Domain:
    """64 real MNIST digits: enough to check shifts quickly."""
    return mnist5k.subset(range(64))
