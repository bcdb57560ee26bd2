"""One app server for the browser tests that drive their own sessions on pairs of their own (the
newcomer's flow, the four sessions at once, the own data's, the theme): each server costs a start, a
first script run that imports the engine, and a stop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import SHARED_SLOTS, serve


@pytest.fixture(scope="package")
def shared_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared server's workspace: the runs and uploads of every test using it."""
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="package")
def shared_server(shared_workspace: Path) -> Iterator[str]:
    """The app served on a free port with the shared workspace and ``SHARED_SLOTS`` run slots; yields
    its URL."""
    with serve(shared_workspace, {"TLSTUDIO_MAX_RUNNING": str(SHARED_SLOTS)}) as url:
        yield url
