"""Commands and the workspace and data they are given: a missing or empty workspace path, data read
without the labels a run needs; each refused in one line before anything is created."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from tlcore.cli import main
from tlcore.data import save_upload
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def _cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--source", "upload:t.npz:label=none", "--target", "upload:t.npz"),
            "error: the source upload:t.npz:label=none is unlabelled; a run trains on the source's labels\n",
        ),
        (
            (
                "--source",
                "upload:t.npz",
                "--target",
                "upload:t.npz:label=none",
                "--method",
                "labelled_target",
            ),
            "error: labelled_target needs target labels, but upload:t.npz:label=none is unlabelled\n",
        ),
    ],
    ids=["unlabelled-source", "unlabelled-target"],
)
def test_adapt_refuses_data_read_without_labels_before_a_run(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.random.default_rng(0).normal(size=(20, 3)), y=np.arange(20) % 2)
    save_upload(workspace, "t.npz", buffer.getvalue())
    for extra in ([], ["--detach"]):
        code, out, err = _cli(workspace, capsys, "adapt", *argv, *extra)
        assert (code, out, err) == (2, "", message)
    assert RunStore(workspace).list() == []


@pytest.mark.parametrize(
    "argv",
    [
        ("runs", "list"),
        ("runs", "show", "abc"),
        ("runs", "rank", "--source", "mnist5k", "--target", "digits"),
        ("sweeps", "list"),
        ("sweeps", "show", "abc"),
        ("predict", "abc", "--data", "digits"),
        ("export", "abc", "--out", "exported"),
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_command_about_a_missing_workspace_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    missing = tmp_path / "typo"
    code = main(["--workspace", str(missing), *argv])
    err = capsys.readouterr().err
    hint = "check --workspace or $TLSTUDIO_WORKSPACE"
    assert code == 2 and err == f"error: no workspace at {missing}: nothing was saved there ({hint})\n"
    assert list(tmp_path.iterdir()) == []


def test_data_list_reads_a_missing_workspace_without_creating_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--workspace", str(tmp_path / "new"), "data", "list", "--json"]) == 0
    names = {row["name"] for row in json.loads(capsys.readouterr().out)["domains"]}
    assert "mnist5k" in names and list(tmp_path.iterdir()) == []


def test_an_empty_workspace_path_is_refused_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for argv in (["runs", "list"], ["data", "list"]):
        assert main(["--workspace", "", *argv]) == 2
        captured = capsys.readouterr()
        assert (captured.out, captured.err) == (
            "",
            "error: the workspace path is empty; name a folder (--workspace DIR)\n",
        )
    assert list(tmp_path.iterdir()) == []  # no index, no folders in the current one
