"""The commands the pages name in their captions carry the app's ``--workspace`` (not ./workspace here:
``$TLSTUDIO_WORKSPACE``), as the commands they print do: pasted, they read the app's workspace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tlcore.commands import command_line
from tlcore.data.spec import store_upload
from tlcore.workspace import Workspace


def test_the_data_and_sweep_captions_name_their_commands_in_the_apps_workspace(
    app: Callable[..., AppTest], workspace: Path
) -> None:
    store_upload(Workspace.resolve(workspace), "rows.csv", b"a,label\n1,x\n2,y\n")  # a Saved uploads table
    (listed,) = [c.value for c in app("data").caption if "reads them all" in c.value]
    assert f"(`{command_line('data', 'list', workspace=str(workspace))}`; `--scan` reads them all)" in listed
    (shown,) = [c.value for c in app("sweep").caption if "prints the same table" in c.value]
    show = command_line("sweeps", "show", "ID", workspace=str(workspace))
    assert f"`{show}` prints the same table" in shown
