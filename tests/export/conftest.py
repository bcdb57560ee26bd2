"""Fixtures for the export tests: one real tiny run (LeNet, 1 epoch) shared by the session."""

from __future__ import annotations

import pytest

from tlcore.adapt.config import AdaptConfig
from tlcore.runs import jobs
from tlcore.workspace import Workspace


@pytest.fixture(scope="session")
def done_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    """A done run of the real pipeline: mnist5k:n=120 -> digits:n=120, LeNet, 1 epoch (~20 s)."""
    workspace = Workspace.resolve(tmp_path_factory.mktemp("export") / "workspace")
    config = AdaptConfig(source="mnist5k:n=120", target="digits:n=120", model="lenet", epochs=1)
    record = jobs.run_inline(workspace, config)
    assert record.status == "done", record.error
    return workspace, record.id
