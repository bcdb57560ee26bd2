"""Fixtures for the app tests: a fresh workspace and an AppTest of the whole app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import APP, SMALL_SOURCE, SMALL_TARGET


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace that the app resolves through ``$TLSTUDIO_WORKSPACE``."""
    root = tmp_path / "workspace"
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(root))
    return root


@pytest.fixture
def app(workspace: Path) -> Callable[..., AppTest]:
    """``app(page)``: the app on ``page`` with a small pair, after its first run."""

    def open_page(page: str = "home", source: str = SMALL_SOURCE, target: str = SMALL_TARGET) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.session_state["pair_source"] = source
        at.session_state["pair_target"] = target
        at.run()
        if page != "home":
            at.switch_page(f"app_pages/{page}.py").run()
        return at

    return open_page
