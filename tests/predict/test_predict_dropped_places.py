"""``predict`` on tables whose model was trained after a column empty in every row was dropped: the
model keeps which columns (a file without a header: their places), a later file without a header that
has a value there is read without that place, with a note, as the training file was; one with another
number of places is refused saying both counts; a file's own empty column, dropped as read, is said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.predict.test_predict import read_back
from tests.predict.test_predict_cli import cli
from tlcore.adapt.config import AdaptConfig
from tlcore.checkpoints import load_checkpoint, save_checkpoint
from tlcore.predict import load_data, load_run_model, predict_rows
from tlcore.runs.jobs import run_inline
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

IGNORED = (
    "note: data: column 2 of the file was empty in every row of the training file and the model does not "
    "read it: ignored"
)
UNREAD = (
    "note: data: column 2 of the file is empty in every row, so reading dropped it; the model was "
    "trained without it"
)


def table(rows: int, seed: int, empty: tuple[int, ...] = (), header: str = "", width: int = 3) -> str:
    """A CSV of ``width`` feature columns (those at ``empty`` left empty) and a label column, ``x`` /
    ``y``."""
    values = np.random.default_rng(seed).normal(size=(rows, width)).round(3)
    lines = [",".join("" if j in empty else str(v) for j, v in enumerate(row)) for row in values]
    body = "".join(f"{line},{'xy'[i % 2]}\n" for i, line in enumerate(lines))
    return f"{header}\n{body}" if header else body


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return str(folder / name)


def trained(folder: Path, header: str = "") -> tuple[Workspace, str]:
    """A done 1-epoch run whose source's middle column is empty in every row."""
    source = write(folder, "source.csv", table(40, 0, (1,), header))
    target = write(folder, "target.csv", table(20, 1, (), header))
    workspace = Workspace.resolve(folder / "workspace")
    record = run_inline(workspace, AdaptConfig(source=source, target=target, epochs=1))
    assert record.status == "done", record.error
    return workspace, record.id


@pytest.fixture(scope="module")
def headerless(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    return trained(tmp_path_factory.mktemp("headerless"))


def notes(text: str) -> list[str]:
    """The ``note:`` lines of predict's summary, each unwrapped."""
    lines = text.replace("\n        ", " ").splitlines()
    return [" ".join(line.split()) for line in lines if "note:" in line]


def test_the_model_keeps_the_place_it_was_trained_without(headerless: tuple[Workspace, str]) -> None:
    workspace, run_id = headerless
    model = load_run_model(workspace, run_id).model
    assert model.columns == () and model.dropped == ("feature 1",)
    assert tuple(model.spec["input_shape"]) == (2,)


def test_a_full_headerless_file_is_read_without_that_place(
    headerless: tuple[Workspace, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its predictions are those of the same rows with the place blanked (dropped as read)."""
    workspace, run_id = headerless
    full = write(tmp_path, "full.csv", table(6, 2))
    blanked = write(tmp_path, "blanked.csv", table(6, 2, (1,)))
    code, text, err = cli(workspace, capsys, run_id, "--data", full, "--out", str(tmp_path / "full-p.csv"))
    assert code == 0, err
    assert notes(text) == [IGNORED]
    code, text, err = cli(workspace, capsys, run_id, "--data", blanked, "--out", str(tmp_path / "no-p.csv"))
    assert code == 0, err
    assert notes(text) == [UNREAD]
    assert read_back(tmp_path / "full-p.csv").equals(read_back(tmp_path / "no-p.csv"))
    trained_model = load_run_model(workspace, run_id)
    domain = load_data(trained_model, full)
    rows = predict_rows(trained_model, domain)
    with_impute = predict_rows(trained_model, load_data(trained_model, f"{blanked}:missing=impute"))
    assert rows.domain.X.tolist() == domain.X[:, [0, 2]].tolist()  # places 0 and 2, as read
    assert np.array_equal(next(iter(rows)).p, next(iter(with_impute)).p)
    assert rows.notes() == with_impute.notes() == [IGNORED.removeprefix("note: ")]


def test_a_headerless_file_of_another_width_is_refused_saying_both_counts(
    headerless: tuple[Workspace, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Four places, one of them empty: two read, as many as the model takes, yet not the training
    file's columns."""
    workspace, run_id = headerless
    wide = write(tmp_path, "wide.csv", table(6, 2, (1,), width=4))
    code, _, err = cli(workspace, capsys, run_id, "--data", wide)
    assert code == 2 and err.splitlines() == [
        f"error: {wide} has 4 feature columns and the file the model of run {run_id} was trained on had 3: a "
        "table without a header is read by the place of each column, so it needs the training file's "
        "columns, in their order"
    ]


def test_a_model_stored_before_its_places_were_kept_reads_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No places to drop or count: the file that fits is read, its empty column said with how to keep it."""
    workspace, run_id = trained(tmp_path)
    path = RunStore(workspace).checkpoint_path(run_id)
    old, config = load_checkpoint(path)
    old.dropped = None
    save_checkpoint(path, old, config, old.classes)
    assert load_run_model(workspace, run_id).model.dropped is None
    blanked = write(tmp_path, "blanked.csv", table(6, 2, (1,)))
    code, text, _ = cli(workspace, capsys, run_id, "--data", blanked)
    assert code == 0 and notes(text) == [
        "note: data: column 2 of the file is empty in every row, so reading dropped it: read the file with "
        "the spec option missing=impute to keep it"
    ]
    code, _, err = cli(workspace, capsys, run_id, "--data", write(tmp_path, "full.csv", table(6, 2)))
    assert code == 2 and "feature dimensions differ" in err


def test_a_file_that_fits_only_once_its_empty_column_is_dropped_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model of a 2-column file without a header (its checkpoint says it dropped none) given 3 places,
    the middle one empty: 2 read, as many as it takes, but its third place is not the training file's
    second (it was read as that, predicted, before)."""
    workspace, run_id = trained(tmp_path)
    path = RunStore(workspace).checkpoint_path(run_id)
    old, config = load_checkpoint(path)
    old.dropped = ()
    save_checkpoint(path, old, config, old.classes)
    blanked = write(tmp_path, "blanked.csv", table(6, 2, (1,)))
    code, _, err = cli(workspace, capsys, run_id, "--data", blanked)
    assert code == 2 and err.splitlines() == [
        f"error: {blanked} has 3 feature columns and the file the model of run {run_id} was trained on "
        "had 2: a table without a header is read by the place of each column, so it needs the training "
        "file's columns, in their order"
    ]


def test_a_headed_files_own_empty_column_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workspace, run_id = trained(tmp_path, "a,b,c,label")
    assert load_run_model(workspace, run_id).model.dropped == ("b",)
    blanked = write(tmp_path, "blanked.csv", table(6, 2, (1,), "a,b,c,label"))
    code, text, err = cli(workspace, capsys, run_id, "--data", blanked)
    assert code == 0, err
    assert notes(text) == [
        "note: data: column 'b' is empty in every row, so reading dropped it; the model was trained "
        "without it"
    ]
