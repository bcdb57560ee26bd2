"""``data drop-copies`` on tables of every format and on a pair too small for a run's split: the stored
copy reads back as an upload holding the target's other rows under their own ids, and a diagnose of it
finds no shared samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.data.test_drop_copies import run
from tlcore.data import load_domain
from tlcore.workspace import Workspace

ROWS = [(i / 7, i % 5 + 10, "ab"[i % 2]) for i in range(40)]  # the source's rows: none of one value
NEW = [(100 + i + 0.25, i % 5, "ab"[i % 2]) for i in range(12)]
TARGET = NEW[:6] + ROWS[3:11] + NEW[6:]  # rows 6 to 13 copy source rows


def write(path: Path, rows: list[tuple[float, int, str]], header: bool = True) -> Path:
    frame = pd.DataFrame(rows, columns=["temp", "flow", "label"])
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, header=header, sep="\t" if path.suffix == ".tsv" else ",")
    return path


@pytest.mark.parametrize(
    ("target", "header"), [("later.csv", False), ("later.tsv", True), ("later.parquet", True)]
)
def test_drop_copies_keeps_a_tables_other_rows_under_their_ids_in_its_format(
    tmp_path: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str], target: str, header: bool
) -> None:
    """A CSV without a header, a TSV, a Parquet file repeating 8 rows of a CSV source (as headed as the
    target) among 12 new ones: the new rows kept under their row numbers, labelled as before (a CSV
    without a header was renumbered from 0)."""
    source = write(tmp_path / "sensors.csv", ROWS, header)
    pair = ("--source", str(source), "--target", str(write(tmp_path / target, TARGET, header)))
    code, out, err = run(workspace, capsys, "data", "drop-copies", *pair, "--json")
    assert code == 0, err
    found = json.loads(out)
    assert (found["kept"], found["dropped"], found["other_classes"]) == (12, 8, 0)
    kept = load_domain(found["spec"], workspace)
    assert found["spec"] == f"upload:later-no-copies{Path(target).suffix}"
    assert kept.ids == tuple(map(str, [*range(6), *range(14, 20)]))
    assert kept.X[:, 0].tolist() == pytest.approx([100 + i + 0.25 for i in range(12)])
    assert kept.classes == ("a", "b") and kept.y.tolist() == [i % 2 for i in range(12)]
    check = ("diagnose", pair[0], pair[1], "--target", found["spec"], "--no-umap", "--no-explain", "--json")
    code, out, err = run(workspace, capsys, *check)
    assert code == 0 and json.loads(out)["shared_samples"] is None, err


def test_drop_copies_finds_the_copies_of_a_pair_too_small_for_a_runs_split(
    tmp_path: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """One sample per class on each side: no run's split (stratified, a test sample per class of two),
    but two of the target's three rows are source rows (the drop read "shares no samples")."""
    rows = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.savez(tmp_path / "field.npz", X=rows, y=np.arange(6))
    np.savez(tmp_path / "again.npz", X=np.concatenate([rows[[0, 3]], [[50, 50]]]), y=np.array([0, 3, 2]))
    pair = ("--source", str(tmp_path / "field.npz"), "--target", str(tmp_path / "again.npz"))
    code, out, err = run(workspace, capsys, "data", "drop-copies", *pair)
    assert code == 0, err
    assert out.replace("\n", " ").strip() == (
        "stored as upload:again-no-copies.npz: 1 of the target's 3 samples kept, 2 dropped as exact copies "
        "of source samples"
    )
    with np.load(workspace.uploads / "again-no-copies.npz") as kept:
        assert kept["X"].tolist() == [[50, 50]] and kept["y"].tolist() == [2]
