"""A table's bad cells (QA helper-142): a numeric column with one '#DIV/0!' is reported by cell, not
as a text column to name as the labels; missing=drop gives sensor data with gaps a way forward; a
label column of one class per row is refused; a column counting the rows gets a warning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tlcore.cli import main
from tlcore.data.spec import load_domain
from tlcore.data.spec_text import parse_spec
from tlcore.data.values import looks_like_row_number
from tlcore.errors import TLError
from tlcore.workspace import Workspace

CLASSES = ("ok", "leak", "wear")


def sensor_table(rows: int = 30) -> pd.DataFrame:
    """``rows`` readings with an id column, two numeric channels (unicode headers) and a label."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": [f"T{i:05d}" for i in range(rows)],
            "Durchfluss m³/h": rng.normal(20, 3, rows).round(4),
            "vib rms": rng.normal(15, 2, rows).round(4),
            "status": [CLASSES[i % 3] for i in range(rows)],
        }
    )


def write(frame: pd.DataFrame, path: Path, cells: dict[tuple[int, str], str]) -> Path:
    """``frame`` as a CSV with ``cells`` (data row, column) replaced by the given text."""
    text = frame.astype(object)
    for (row, column), value in cells.items():
        text.loc[row, column] = value
    text.to_csv(path, index=False)
    return path


def test_one_bad_cell_in_a_numeric_column_is_named_by_line_id_and_value(tmp_path: Path) -> None:
    path = write(sensor_table(), tmp_path / "target.csv", {(4, "Durchfluss m³/h"): "#DIV/0!"})
    with pytest.raises(TLError) as refused:
        load_domain(f"{path}:label=status")
    assert str(refused.value) == (
        "target.csv: 1 cell is missing, infinite or not a number: '#DIV/0!' in column 'Durchfluss m³/h' on "
        f"line 6 of the file (id T00004); fix it in the file, or drop its row: read it as {path}:"
        "label=status,missing=drop; or fill it with the source's column medians: missing=impute"
    )


def test_a_text_column_stays_text_below_the_mostly_numeric_rule(tmp_path: Path) -> None:
    """3 of 30 non-empty cells not numbers: 90% parse, a numeric column; 4 of 30: text (87%)."""
    bad = {(row, "vib rms"): "?" for row in (1, 2, 3)}
    with pytest.raises(
        TLError, match=r"3 cells in 3 rows are missing, infinite or not a number: the first '\?'"
    ):
        load_domain(f"{write(sensor_table(), tmp_path / 'three.csv', bad)}:label=status")
    bad[(4, "vib rms")] = "?"
    with pytest.raises(TLError, match="non-numeric feature columns vib rms"):
        load_domain(f"{write(sensor_table(), tmp_path / 'four.csv', bad)}:label=status")


def test_missing_drop_drops_the_rows_with_their_ids_and_labels_and_says_which(tmp_path: Path) -> None:
    cells = {(5, "vib rms"): "n/a", (9, "Durchfluss m³/h"): "", (12, "vib rms"): "#VALUE!"}
    path = write(sensor_table(), tmp_path / "gaps.csv", cells)
    domain = load_domain(f"{path}:label=status,missing=drop")
    assert domain.n_samples == 27 and "T00005" not in domain.ids and domain.ids[5:7] == ("T00006", "T00007")
    assert [domain.classes[int(c)] for c in domain.y[:6]] == ["ok", "leak", "wear", "ok", "leak", "ok"]
    assert domain.provenance.endswith(
        "; 3 rows with a missing or non-numeric cell dropped (missing=drop: line 7 of the file (id T00005), "
        "line 11 of the file (id T00009), line 14 of the file (id T00012))"
    )
    unnamed = write(sensor_table().drop(columns="id"), tmp_path / "noid.csv", cells)
    kept = load_domain(f"{unnamed}:label=status,missing=drop")  # ids stay the file's data rows
    assert (
        kept.ids[4:7] == ("4", "6", "7")
        and "(missing=drop: line 7 of the file (id 5), line 11 of the file (id 9)" in kept.provenance
    )  # the id a prediction file would give the row: no arithmetic from the line (QA helper-155)


def test_missing_drop_is_one_spec_option_for_tables_only(tmp_path: Path) -> None:
    spec = parse_spec("upload:gaps.csv:label=status,missing=DROP")
    assert spec.missing == "drop" and str(spec) == "upload:gaps.csv:label=status,missing=drop"
    with pytest.raises(TLError, match=r"missing=keep: use missing=drop .* or missing=impute .* on a table"):
        parse_spec("upload:gaps.csv:missing=keep")
    with pytest.raises(TLError, match="on a table file"):
        parse_spec("mnist5k:missing=drop")
    np.savez(tmp_path / "x.npz", X=np.ones((3, 2)))
    with pytest.raises(TLError, match="missing=drop applies to tables only"):
        load_domain(f"{tmp_path / 'x.npz'}:missing=drop")
    holes = {(0, "vib rms"): "", (1, "vib rms"): "", (2, "Durchfluss m³/h"): ""}
    every = write(sensor_table(3), tmp_path / "all.csv", holes)
    with pytest.raises(
        TLError, match="every row holds a missing or non-numeric cell; missing=drop leaves none"
    ):
        load_domain(f"{every}:label=status,missing=drop")
    empty = write(sensor_table(3), tmp_path / "empty.csv", {(r, "vib rms"): "" for r in range(3)})
    dropped = load_domain(f"{empty}:label=status,missing=drop")  # a column without a value: dropped
    assert "vib rms" not in dropped.column_names and dropped.n_samples == 3
    assert "; WARNING: column 'vib rms' is empty in every row: dropped (no value to learn from" in (
        dropped.provenance
    )


def test_upload_names_the_cell_and_stores_with_missing_drop(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(sensor_table(), tmp_path / "target.csv", {(4, "Durchfluss m³/h"): "#DIV/0!"})
    workspace = tmp_path / "ws"
    argv = ["--workspace", str(workspace), "data", "upload", str(path), "--label", "status"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'#DIV/0!' in column 'Durchfluss m³/h' on line 6 of the file (id T00004)" in err
    assert "the label column?" not in err and err.strip().endswith(
        "upload with --missing drop (the spec option missing=drop); or fill it with the source's "
        "column medians: upload with --missing impute (the spec option missing=impute)"
    )
    assert main([*argv, "--missing", "drop"]) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[0]
        == "stored as upload:target.csv; use it as upload:target.csv:label=status,missing=drop"
    )
    assert "(missing=drop: line 6 of the file (id T00004))" in out  # the dropped row, named on upload
    assert load_domain("upload:target.csv:label=status,missing=drop", Workspace(workspace)).n_samples == 29


def test_a_label_column_with_a_class_per_row_is_refused(tmp_path: Path) -> None:
    """The advice the old message gave a column with one '#DIV/0!': name it as the labels (30 classes)."""
    path = write(sensor_table().drop(columns="status"), tmp_path / "t.csv", {(4, "vib rms"): "#DIV/0!"})
    with pytest.raises(TLError) as refused:
        load_domain(f"{path}:label=vib rms")
    assert str(refused.value) == (
        "t.csv: column 'vib rms' has 30 distinct values in 30 rows: it does not look like a class label "
        "(a label repeats); name the label column, or read the table with label=none"
    )
    labelled = write(sensor_table(), tmp_path / "labelled.csv", {})
    assert load_domain(f"{labelled}:label=status").classes == ("leak", "ok", "wear")


def test_a_column_counting_the_rows_is_warned_of(tmp_path: Path) -> None:
    frame = sensor_table().drop(columns="id")
    frame.insert(0, "reading_no", range(30))
    path = write(frame, tmp_path / "sorted.csv", {})
    assert load_domain(f"{path}:label=status").provenance.endswith(
        "; WARNING: column 'reading_no' counts rows (0, 1, 2, … 29): if it is an identifier, rename it id "
        "(or sample_id) so it is not learned from"
    )
    assert (
        "WARNING"
        not in load_domain(f"{write(sensor_table(), tmp_path / 'id.csv', {})}:label=status").provenance
    )
    assert looks_like_row_number(np.roll(np.arange(1, 21), 3))  # 1..20 in some order
    assert looks_like_row_number(np.arange(1000, 1020))  # a later file that goes on counting
    assert looks_like_row_number(np.append(np.arange(19), 20))  # a row left out: still counts rows
    assert not looks_like_row_number(np.append(np.arange(19), 18))  # a repeat
    assert not looks_like_row_number(np.arange(19))  # too few rows to tell


def test_a_semicolon_export_whose_header_holds_a_comma_is_read_by_semicolons(tmp_path: Path) -> None:
    """``Temp, °C`` in the header of a semicolon file with decimal commas (QA helper-142: refused as
    rows of different lengths); a file whose rows split unevenly says which separator it read, and why."""
    rows = "".join(f"T{i};{20 + i},5;0,{(i + 1) * 25};{i % 3}\n" for i in range(6))
    (tmp_path / "semi.csv").write_text(f"id;Temp, °C;vib;status\n{rows}", encoding="utf-8")
    domain = load_domain(f"{tmp_path / 'semi.csv'}:label=status")
    assert domain.meta["columns"] == ("Temp, °C", "vib") and domain.X[:2].tolist() == [
        [20.5, 0.25],
        [21.5, 0.5],
    ]
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n1,2,3,4\n")
    with pytest.raises(TLError) as refused:
        load_domain(str(tmp_path / "ragged.csv"))
    assert str(refused.value) == (
        "ragged.csv is not a well-formed table: split at commas, the separator read (the first line holds "
        "one), it gives rows of different lengths; a file separated otherwise whose header holds a comma: "
        "quote that header field, or save the file with tabs as .tsv"
    )
