"""Fixtures for the prediction tests: isolated workspaces, tiny seeded models, one tiny real run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.models import build_model
from tlcore.predict import TrainedModel
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace

DIGITS = tuple(str(d) for d in range(10))


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing is written outside tmp paths (no limit override leaks in: tests/conftest.py)."""
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(tmp_path / "default-workspace"))
    monkeypatch.setenv("TLSTUDIO_DATA", str(tmp_path / "datasets"))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.resolve(tmp_path / "workspace")


def seeded_model(name: str, shape: tuple[int, ...], classes: tuple[str, ...], seed: int = 0) -> TrainedModel:
    """An untrained model with a seeded initialisation and the given class names."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(name, shape, len(classes), pretrained=False)
    return TrainedModel(model, classes, f"the test {name}")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    """One real run, 1 epoch on 120 MNIST digits -> 120 UCI digits: ``(workspace, run_id)``."""
    workspace = Workspace.resolve(tmp_path_factory.mktemp("run-workspace"))
    config = AdaptConfig(source="mnist5k:n=120", target="digits:n=120", epochs=1, device="cpu")
    record = run_inline(workspace, config)
    assert record.status == "done", record.error
    return workspace, record.id
