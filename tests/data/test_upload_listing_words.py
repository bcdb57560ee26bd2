"""A saved upload's size and time, as the Data page's *Saved uploads* and ``data list`` write them: a
human size and a time to the minute (QA helper-246 read ``66899 bytes, 2026-12-07T20:05:49+00:00``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tlcore.cli import main
from tlcore.data import upload_table
from tlcore.data.spec import store_upload
from tlcore.numbers import shape_text
from tlcore.workspace import Workspace

ROWS = "".join(f"{i / 7:.6f},{i / 3:.6f},{'ab'[i % 2]}\n" for i in range(2000))
SAVED = datetime(2026, 12, 7, 20, 5, 49, tzinfo=UTC).timestamp()


def test_saved_uploads_say_a_human_size_and_time_on_the_page_and_in_data_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = Workspace.resolve(tmp_path / "ws")
    data = f"x1,x2,label\n{ROWS}".encode()
    assert len(data) == 46_912  # 45.81 KiB
    store_upload(workspace, "shop.csv", data)
    os.utime(workspace.root / "uploads" / "shop.csv", (SAVED, SAVED))
    described = "uploaded feature vectors, 2 classes, 45.8 KiB, 2026-12-07 20:05 UTC"
    assert [row["description"] for row in upload_table(workspace)] == [described]
    assert main(["--workspace", str(workspace.root), "data", "list"]) == 0
    row = capsys.readouterr().out.split("\nupload:shop.csv")[1].split("\nshifts")[0]  # wrapped to fit
    assert " ".join(row.split()).endswith(described)


def test_saved_uploads_say_a_tables_shape_as_its_features_an_images_as_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA helper-247: the Saved uploads' shape read a bare "2" for a table, where the Shape card says "2
    features"; one function words both (tlcore.numbers.shape_text)."""
    workspace = Workspace.resolve(tmp_path / "ws")
    store_upload(workspace, "shop.csv", f"x1,x2,label\n{ROWS}".encode())
    assert main(["--workspace", str(workspace.root), "data", "list", "--scan"]) == 0  # keeps its summary
    assert [row["shape"] for row in upload_table(workspace)] == ["2 features"]
    assert (shape_text([1]), shape_text([1, 28, 28])) == ("1 feature", "1x28x28")
    assert "2 features" in capsys.readouterr().out  # data list says it so too
