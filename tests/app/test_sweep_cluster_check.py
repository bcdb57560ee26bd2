"""The Sweep page checks an existing Ray cluster before launching on it, as the CLI does, without
importing Ray into the app's process: a port that is no Ray cluster, or one refusing the driver's
token, is the CLI's line in the page's error box, and no sweep exists."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support.state import sweep_key
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, assert_clean, errors
from tests.sweeps.fake_ports import SETTINGS_FRAME, answering, http_server, refusing_ray
from tlcore.runs import driver
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
TOKEN_NEEDED = (
    "a cluster with token auth needs RAY_AUTH_MODE=token and its token in RAY_AUTH_TOKEN, "
    "RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token"
)


@pytest.mark.parametrize(
    "case",
    [
        (http_server, "{address} is not a Ray cluster (it answered as an HTTP server)"),
        (
            lambda: answering(SETTINGS_FRAME),  # a Ray GCS's first answer; the token refused in the child
            "the Ray cluster at {address} refused this driver: no token given (RAY_AUTH_MODE is not "
            f"token); {TOKEN_NEEDED}",
        ),
    ],
)
def test_the_page_refuses_a_cluster_as_the_cli_does_and_launches_nothing(
    app: Callable[..., AppTest],
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[Callable[[], contextlib.AbstractContextManager[str]], str],
) -> None:
    """QA helper-162: the page launched the sweep; only its failed background driver said why. Ray's
    refusal of the token is stood in for in the Python processes the check starts."""
    cluster, said = case
    monkeypatch.setenv("PYTHONPATH", f"{refusing_ray(tmp_path / 'site')}:{ROOT}")
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        monkeypatch.delenv(name, raising=False)
    with cluster() as address:
        monkeypatch.setenv("TLSTUDIO_RAY_ADDRESS", address)
        at = app("sweep")
        at.text_input(key=sweep_key("compositions")).set_value("im").run()
        at.selectbox(key=sweep_key("executor")).set_value("ray").run()
        next(b for b in at.button if b.label == "Launch the sweep").click().run()
    assert_clean(at)
    assert errors(at) == [said.format(address=address)]
    assert SweepStore(Workspace.resolve(workspace)).list() == []


def test_the_pages_resume_refuses_a_cluster_as_launch_does_and_starts_no_driver(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    """QA helper-164: Resume started a driver on a ray sweep's stored address unchecked; only the
    failed background driver said why."""
    sweeps = SweepStore(Workspace.resolve(workspace))
    with http_server() as address:
        sweep_id = driver.create(
            sweeps.workspace,
            SweepSpec(SMALL_SOURCE, SMALL_TARGET, (("im",),)),
            ExecutorSettings("ray", address),
        )
        sweeps.end(sweep_id, "cancelled", "on request")
        at = app("sweep")
        at.button(key=f"resume_{sweep_id}").click().run()
    assert_clean(at)
    assert errors(at) == [f"{address} is not a Ray cluster (it answered as an HTTP server)"]
    assert sweeps.get(sweep_id).status == "cancelled"  # not reopened
    assert not (sweeps.workspace.root / driver.LOG_FOLDER / f"{sweep_id}.log").exists()  # no driver
