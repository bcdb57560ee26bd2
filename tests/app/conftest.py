"""Fixtures for the app tests: a fresh workspace, an AppTest of the whole app, and done runs trained
once per session and copied into a test's workspace. Streamlit's scan of the installed packages for
components runs once per session, not once per AppTest."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.components.v2 import manifest_scanner
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest

from app_support import engine
from tests.app.helpers import APP, SMALL_SOURCE, SMALL_TARGET
from tlcore.adapt.config import AdaptConfig
from tlcore.runs import jobs
from tlcore.workspace import Workspace


@pytest.fixture(scope="session", autouse=True)
def _components_scanned_once() -> Iterator[None]:
    """Each new AppTest reads every installed distribution's metadata to find Streamlit components;
    the installed packages stay the same for the session: the first scan's, for every AppTest."""
    found = manifest_scanner.scan_component_manifests()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", lambda max_workers=None: list(found))
        yield


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


@pytest.fixture(scope="session")
def _trained_workspaces(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[AdaptConfig], tuple[Path, str]]:
    """``train(config)``: a workspace holding one done run of ``config`` and the run's id, trained the
    first time a config is asked for and kept for the session (read-only: tests get copies)."""
    made: dict[str, tuple[Path, str]] = {}

    def train(config: AdaptConfig) -> tuple[Path, str]:
        key = json.dumps(config.to_dict(), sort_keys=True)
        if key not in made:
            root = tmp_path_factory.mktemp("trained") / "workspace"
            record = jobs.run_inline(Workspace.resolve(root), config)
            assert record.status == "done", record.error
            made[key] = (root, record.id)
        return made[key]

    return train


@pytest.fixture
def trained_run(
    workspace: Path, _trained_workspaces: Callable[[AdaptConfig], tuple[Path, str]]
) -> Callable[[AdaptConfig], str]:
    """``trained_run(config)``: the id of a done run of ``config`` in this test's (still empty)
    workspace, as ``jobs.run_inline`` leaves it (run, baseline cache), copied from the session's."""

    def copy(config: AdaptConfig) -> str:
        root, run_id = _trained_workspaces(config)
        shutil.copytree(root, workspace)  # fails loudly if the test already wrote to its workspace
        return run_id

    return copy


@pytest.fixture
def auto_reruns(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The interval, in seconds, of each self-refreshing fragment (``st.fragment(run_every=...)``) the
    app tells the browser to rerun, in the order of the page runs since the test cleared the list."""
    intervals: list[float] = []
    enqueue = ForwardMsgQueue.enqueue

    def recording(self: ForwardMsgQueue, msg: ForwardMsg) -> None:
        if msg.WhichOneof("type") == "auto_rerun":
            intervals.append(msg.auto_rerun.interval)
        enqueue(self, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", recording)
    return intervals


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[AdaptConfig]:
    """The configs the page asks the engine to launch (launched as no run: the engine's ``launch``
    stood in for)."""
    configs: list[AdaptConfig] = []
    monkeypatch.setattr(engine, "launch", lambda batch, **_: configs.extend(batch) or [c.seed for c in batch])
    return configs
