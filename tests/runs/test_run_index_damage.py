"""A damaged run index (``runs.sqlite``): every command that reads it says so in one line, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tlcore.cli import main
from tlcore.workspace import Workspace


def _cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _truncated_index(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda path: path.write_text("garbage\n"), "file is not a database"),
        (_truncated_index, "database disk image is malformed"),
        (lambda path: path.unlink() or path.mkdir(), "unable to open database file"),
    ],
)
def test_a_damaged_run_index_is_one_line(
    judged_copy: tuple[Workspace, list[str]],
    capsys: pytest.CaptureFixture[str],
    damage: Callable[[Path], object],
    why: str,
) -> None:
    workspace, (run_id, *_) = judged_copy
    damage(workspace.index_path)
    index = workspace.index_path
    expected = f"error: the run index {index} is damaged ({why}); move it aside to start a fresh one\n"
    for argv in (["runs", "list"], ["runs", "show", run_id], ["sweeps", "list"]):
        assert _cli(workspace, capsys, *argv) == (2, "", expected)
