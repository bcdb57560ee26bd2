"""The Diagnose page's HTML report names the workspace where the page and ``diagnose`` do: its shared
samples line, whose fix command carries the app's ``--workspace`` (a folder with a space in it, quoted
for a shell), word for word the line the page's box and ``diagnose`` print; and its causes' commands,
as ``diagnose`` gives them for that workspace."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import display
from tests.app.helpers import SMALL_SOURCE, SMALL_TARGET, plain
from tests.app.test_drop_copies_ui import copied_tables
from tlcore.cli import main
from tlcore.commands import command_line

OpenApp = Callable[..., AppTest]


def page_report(
    app: OpenApp, root: Path, monkeypatch: pytest.MonkeyPatch, *specs: str
) -> tuple[AppTest, str]:
    """The Diagnose page of ``specs`` in the workspace ``root``, and its download's report, built as the
    button would build it on a click."""
    monkeypatch.setenv("TLSTUDIO_WORKSPACE", str(root))
    built: list[str] = []

    def at_once(build: Callable[[], str], what: str) -> Callable[[], str]:
        built.append(build())
        return build

    monkeypatch.setattr(display, "report_on_click", at_once)
    at = app("diagnose", *specs)
    assert not at.exception, [e.message for e in at.exception]
    return at, html.unescape(built[-1])


def diagnose_json(root: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    """``diagnose --json`` of the pair in the workspace ``root``."""
    assert main(["--workspace", str(root), "diagnose", *argv, "--no-umap", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_pages_report_names_the_workspace_in_the_line_the_page_and_the_cli_show(
    app: OpenApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "my ws"
    specs = copied_tables(root)
    at, report = page_report(app, root, monkeypatch, *specs)
    (said,) = re.findall(r"Shared samples: [^<]*", report)  # the report's line, as written
    found = diagnose_json(root, capsys, "--source", specs[0], "--target", specs[1], "--no-explain")
    line = found["shared_samples"]["text"]  # what diagnose prints
    drop = command_line("data", "drop-copies", workspace=str(root))
    assert drop == f"python -m tlcore --workspace '{root}' data drop-copies"
    assert said == f"Shared samples: {line}"
    assert said.endswith(
        "to score transfer, remove the copies from the target (sample ids 0, 1, 2 and 5 more; "
        f"{drop} drops them)"
    )
    (box,) = [plain(w.value) for w in at.warning if "found by content" in w.value]
    assert box.startswith(f"{line[0].upper()}{line[1:]}. ")  # the page's box: the same line


def test_the_pages_report_gives_its_causes_commands_as_diagnose_does_for_the_workspace(
    app: OpenApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "my ws"
    _, report = page_report(app, root, monkeypatch)  # the app's small pair
    causes = diagnose_json(root, capsys, "--source", SMALL_SOURCE, "--target", SMALL_TARGET)
    (action,) = [
        c["action"] for c in causes["explanation"]["verdict"]["causes"] if "python -m tlcore" in c["action"]
    ]
    assert action == (
        "adapt with the recommended recipe (deep_coral+im+fixmatch+shot_pl+adabn): "
        + command_line(
            "adapt",
            "--source",
            SMALL_SOURCE,
            "--target",
            SMALL_TARGET,
            "--recipe",
            "recommended",
            workspace=str(root),
        )
    )
    assert f">{action}<" in report
