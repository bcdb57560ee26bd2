"""``predict`` names a table's columns as the file does: a file without a header by each column's place in
it, so after the place its model was trained without, the notes on missing cells name the file's columns
(``column 3 of the file``, its place ``feature 2``), as the note on that place does; a file with a
header given a column its model was trained without (empty in every row of the training file) says so,
in the same words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.predict.test_predict_cli import cli
from tests.predict.test_predict_dropped_places import IGNORED, notes, table, trained, write
from tlcore.predict import load_data, load_run_model, predict_rows
from tlcore.workspace import Workspace


@pytest.fixture(scope="module")
def headerless(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    """A done run whose headerless source's middle column (place 1) is empty in every row."""
    return trained(tmp_path_factory.mktemp("places"))


def test_missing_cells_after_a_skipped_place_are_named_by_their_place(
    headerless: tuple[Workspace, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Place 2 missing in 4 of 6 rows: the model's second column, the file's third."""
    workspace, run_id = headerless
    rows = [line.split(",") for line in table(6, 2).splitlines()]
    for row in rows[:4]:
        row[2] = ""
    path = write(tmp_path, "holes.csv", "".join(",".join(row) + "\n" for row in rows))
    code, text, err = cli(workspace, capsys, run_id, "--data", f"{path}:missing=impute")
    assert code == 0, err
    assert notes(text) == [
        IGNORED,
        "note: data: 4 cells of 1 column missing, filled with the model's column medians",
        "note: data column 3 of the file: 4 of its 6 cells filled in: its part of the gap is partly the fill",
    ]
    trained_model = load_run_model(workspace, run_id)
    predicted = predict_rows(trained_model, load_data(trained_model, f"{path}:missing=impute"))
    assert predicted.domain.column_names == ("feature 0", "feature 2")
    assert predicted.plan.report.filled == {"feature 2": 4}


def test_a_headed_files_column_the_model_was_trained_without_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``b`` was empty in every row of the training file; a later file holds values there."""
    workspace, run_id = trained(tmp_path, "a,b,c,label")
    full = write(tmp_path, "full.csv", table(6, 2, header="a,b,c,label"))
    code, text, err = cli(workspace, capsys, run_id, "--data", full)
    assert code == 0, err
    assert notes(text) == [  # a, c in the model's order: b between them is no reorder (helper-235)
        "note: data: column 'b' was empty in every row of the training file and the model does not read it: "
        "ignored",
    ]
    unknown = write(tmp_path, "unknown.csv", table(6, 2, header="a,d,c,label"))
    code, text, err = cli(workspace, capsys, run_id, "--data", unknown)
    assert code == 0, err
    assert notes(text) == ["note: data columns unknown to the model ignored: d"]  # not trained without
