"""Commands and the workspace and data they are given: a missing or empty workspace path, data read
without the labels a run needs or holding none (a zip of loose images); each refused in one line
before anything is created."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tlcore.cli import main
from tlcore.data import save_upload
from tlcore.runs import driver
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


def _images_zip(workspace: Workspace, name: str, *, classes: bool) -> None:
    """12 random 28x28 images stored as ``upload:NAME``: in class folders ``0/`` and ``1/``, or loose
    (a zip that holds no labels)."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(12):
            png = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(png, format="PNG")
            archive.writestr(f"{i % 2}/{i}.png" if classes else f"scan_{i}.png", png.getvalue())
    save_upload(workspace, name, buffer.getvalue())


def _nothing_created(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    for listing in (("runs", "list", "--json"), ("sweeps", "list", "--json")):
        code, out, _ = _cli(workspace, capsys, *listing)
        assert (code, json.loads(out)) == (0, [])


UNLABELLED = "upload:scans.zip"
TO_UNLABELLED = ("--source", "mnist5k:n=300", "--target", UNLABELLED)
NO_TARGET_LABELS = f"needs target labels, but {UNLABELLED} is unlabelled\n"
UNLABELLED_CASES = {  # id: (the pair, the methods and their options, the error)
    "target_only": (TO_UNLABELLED, ("target_only",), f"error: target_only {NO_TARGET_LABELS}"),
    "finetune": (TO_UNLABELLED, ("finetune",), f"error: finetune {NO_TARGET_LABELS}"),
    "labelled_target": (
        TO_UNLABELLED,
        ("deep_coral+labelled_target", "--target-labels", "5"),
        f"error: labelled_target {NO_TARGET_LABELS}",
    ),
    "unlabelled-source": (
        ("--source", UNLABELLED, "--target", "digits:n=200"),
        ("source_only",),
        f"error: the source {UNLABELLED} is unlabelled; a run trains on the source's labels\n",
    ),
}


@pytest.mark.parametrize("case", UNLABELLED_CASES.values(), ids=UNLABELLED_CASES)
def test_adapt_refuses_a_zip_without_labels_before_a_run(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], case: tuple[tuple[str, ...], ...]
) -> None:
    pair, methods, message = case
    _images_zip(workspace, "scans.zip", classes=False)
    for extra in ([], ["--detach"]):
        argv = ["adapt", *pair, "--method", *methods, "--epochs", "1", *extra]
        assert _cli(workspace, capsys, *argv) == (2, "", message)
    _nothing_created(workspace, capsys)


@pytest.mark.parametrize("case", UNLABELLED_CASES.values(), ids=UNLABELLED_CASES)
def test_sweep_refuses_a_zip_without_labels_before_a_sweep(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], case: tuple[tuple[str, ...], ...]
) -> None:
    pair, (methods, *options), message = case
    _images_zip(workspace, "scans.zip", classes=False)
    for extra in ([], ["--detach"]):  # one composition that needs the labels refuses the sweep
        argv = ["sweep", *pair, "--methods", f"im,{methods}", *options, "--seeds", "0", *extra]
        assert _cli(workspace, capsys, *argv) == (2, "", message)
    _nothing_created(workspace, capsys)


def test_runs_that_need_no_missing_labels_still_start(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zip of class folders trains target_only; a zip of loose images is fine as a target for a
    method that needs no target labels (a run, a sweep)."""
    _images_zip(workspace, "scans.zip", classes=False)
    _images_zip(workspace, "classes.zip", classes=True)
    for target, method in (("upload:classes.zip", "target_only"), (UNLABELLED, "im")):
        argv = ["adapt", "--source", "mnist5k:n=300", "--target", target, "--method", method, "--epochs", "1"]
        code, out, err = _cli(workspace, capsys, *argv, "--json")
        assert (code, json.loads(out)["status"]) == (0, "done"), err
    launched: list[str] = []
    monkeypatch.setattr(driver, "launch", lambda _, sweep_id: launched.append(sweep_id))
    argv = ["sweep", "--source", "mnist5k:n=300", "--target", UNLABELLED, "--methods", "im", "--detach"]
    code, out, _ = _cli(workspace, capsys, *argv, "--json")
    said = json.loads(out)
    assert code == 0 and (said["sweep_id"], said["status"]) == (launched[0], "queued")
    assert said["estimate"]["runs"] == 1  # one composition, one seed


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


@pytest.mark.parametrize("under", [False, True], ids=["the-workspace", "a-folder-above-it"])
def test_a_file_where_the_workspace_goes_is_named_as_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], under: bool
) -> None:
    """QA helper-266: it said "cannot create workspace …: File exists" (and "Not a directory")."""
    blocker = tmp_path / "notes"
    blocker.write_text("not a folder")
    root = blocker / "ws" if under else blocker
    table = tmp_path / "t.csv"
    table.write_text("a,label\n1,x\n2,y\n")
    assert main(["--workspace", str(root), "data", "upload", str(table)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: cannot create workspace {root}: {blocker} is a file, not a folder\n"
    )
    assert main(["--workspace", str(root), "runs", "list"]) == 2
    assert capsys.readouterr().err == (
        f"error: no workspace at {root}: {blocker} is a file, not a folder (check --workspace or "
        "$TLSTUDIO_WORKSPACE)\n"
    )
