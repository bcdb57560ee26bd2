"""Faults of the place, not of the data: a workspace that cannot be written to, a name longer than a file
system takes, an output path the system refuses, images smaller than the network takes. Each is one
``error:`` line (exit code 2), never a traceback, and never the advice to move a healthy run index aside.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tlcore.cli import main
from tlcore.cli.output import check_report
from tlcore.data.spec import load_domain
from tlcore.data.uploads import INCOMING, STALE_INCOMING_S, save_upload
from tlcore.errors import TLError
from tlcore.model_names import MIN_SIDES
from tlcore.models import build_model, check_input
from tlcore.runs import index
from tlcore.runs.store import RunStore
from tlcore.workspace import NAME_MAX, Workspace

AS_ROOT = os.geteuid() == 0  # root writes where the mode bits say it may not


def run_cli(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_a_file_in_the_place_of_the_uploads_folder_is_one_line(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace.root / "uploads").write_text("not a folder")
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n1,2,x\n3,4,y\n")
    code, err = run_cli("--workspace", str(workspace.root), "data", "upload", str(table), capsys=capsys)
    uploads = workspace.root / "uploads"
    assert code == 2 and err == f"error: cannot create {uploads}: {uploads} is a file, not a folder\n"


def test_an_index_that_cannot_be_opened_in_a_missing_folder_is_not_called_damaged(tmp_path: Path) -> None:
    why = r"cannot open the run index in .*missing: it cannot be written to"
    db = tmp_path / "missing" / "runs.sqlite"
    with pytest.raises(TLError, match=why) as caught, index.connect(db, 1.0):
        pass
    assert "damaged" not in str(caught.value) and "move it aside" not in str(caught.value)


@pytest.mark.skipif(AS_ROOT, reason="root writes into a read-only folder")
def test_a_read_only_workspace_is_not_called_damaged(workspace: Workspace) -> None:
    RunStore(workspace)
    (workspace.root / "runs.sqlite").unlink()
    workspace.root.chmod(0o555)
    try:
        with pytest.raises(TLError, match="cannot be written to"):
            RunStore(workspace)
    finally:
        workspace.root.chmod(0o755)


def test_a_directory_in_the_place_of_the_index_is_still_damaged(workspace: Workspace) -> None:
    workspace.index_path.mkdir()
    with pytest.raises(TLError, match=r"is damaged .*move it aside"):
        RunStore(workspace)


def test_an_upload_name_longer_than_a_file_system_takes_is_one_line(workspace: Workspace) -> None:
    with pytest.raises(TLError, match=f"longer than the {NAME_MAX} bytes a file system takes") as caught:
        load_domain("upload:" + "c" * 300 + ".csv", workspace)
    assert len(str(caught.value)) < 160  # the name is cut, not printed whole
    with pytest.raises(TLError, match="no upload named"):  # 255 bytes: looked for as any name
        load_domain("upload:" + "c" * 251 + ".csv", workspace)
    with pytest.raises(TLError, match="longer than"):  # bytes, not characters: é is 2 bytes
        workspace.inside("uploads", "é" * 128)


def test_a_report_name_longer_than_a_file_system_takes_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(TLError, match="cannot write it \\(File name too long\\)"):
        check_report(tmp_path / ("e" * 300 + ".html"))


@pytest.mark.parametrize("name", sorted(MIN_SIDES))
def test_the_smallest_side_each_small_network_takes(name: str) -> None:
    side = MIN_SIDES[name]
    model = build_model(name, (1, side, side), 3).eval()
    assert model(torch.zeros(2, 1, side, side))[0].shape == (2, 3)
    with pytest.raises(TLError, match=f"needs images of at least {side} x {side} px, got {side - 1} x 40"):
        check_input(name, (1, side - 1, 40))


def one_pixel_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for c in "ab":
            for i in range(3):
                buffer = io.BytesIO()
                Image.fromarray(np.full((1, 1), 40 * i, np.uint8)).save(buffer, format="PNG")
                archive.writestr(f"{c}/{i}.png", buffer.getvalue())
    return path


def test_adapting_one_pixel_images_is_one_line_and_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = str(one_pixel_zip(tmp_path / "dots.zip"))
    ws = tmp_path / "ws"
    argv = ("--workspace", str(ws), "adapt", "--source", images, "--target", images, "--epochs", "1")
    code, err = run_cli(*argv, capsys=capsys)
    assert code == 2 and err.count("\n") == 1
    assert "model 'lenet_bn' needs images of at least 16 x 16 px, got 1 x 1 px" in err
    assert RunStore(Workspace.resolve(ws)).list() == []


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (("runs", "list", "--limit"), "limit"),
        (("sweeps", "list", "--limit"), "limit"),
        (("sweeps", "list", "--offset"), "offset"),
    ],
)
def test_a_listing_number_beyond_sqlite_is_one_line(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], name: str
) -> None:
    huge = str(10**20)
    code, err = run_cli("--workspace", str(workspace.root), *argv, huge, capsys=capsys)
    assert (code, err) == (
        2,
        f"error: the {name} must be at most {2**63 - 1} (SQLite's largest integer), got {huge}\n",
    )
    code, _ = run_cli("--workspace", str(workspace.root), *argv, str(2**63 - 1), capsys=capsys)
    assert code == 0


def test_an_upload_drops_the_files_of_uploads_killed_a_day_ago(workspace: Workspace) -> None:
    """kill -9 during an upload leaves its hidden incoming file (never listed, up to 200 MiB)."""
    old, fresh = workspace.uploads / f"{INCOMING}dead.zip", workspace.uploads / f"{INCOMING}live.zip"
    for path in (old, fresh):
        path.write_bytes(b"partial")
    day_ago = time.time() - STALE_INCOMING_S - 60
    os.utime(old, (day_ago, day_ago))
    assert save_upload(workspace, "t.csv", b"a,b,label\n1,2,x\n3,4,y\n") == "t.csv"
    assert sorted(p.name for p in workspace.uploads.iterdir()) == [fresh.name, "t.csv"]
