"""Every message on a table without a header names its columns by their place in the file, counted
from 1 as a spreadsheet counts, whatever sits before them: a feature column ``column 4 of the file``
(its domain's ``feature 2`` when the label column is the second), the label column with the option
that selects it (``column 2 of the file (label=1)``, ``label=`` 0-based, as pandas numbers the
columns), never by pandas' column number alone nor by its place among the features; a file with a
header by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.data.spec import load_domain
from tlcore.errors import TLError

HINT = "if it is an identifier, rename it id (or sample_id) so it is not learned from"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "batch.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def refusal(spec: str) -> str:
    with pytest.raises(TLError) as caught:
        load_domain(spec)
    return str(caught.value)


def test_the_label_column_and_a_row_number_are_named_by_place(tmp_path: Path) -> None:
    spec = write(tmp_path, "".join(f"{i * 0.5:.1f},c{i % 2},{i}\n" for i in range(25)))
    assert load_domain(spec).provenance == (
        "batch.csv: 25 rows x 2 features, labels from column 2 of the file (label=1); WARNING: column 3 "
        "of the file "
        f"counts rows (0, 1, 2, … 24): {HINT}"
    )


def test_a_headed_files_label_and_row_number_keep_their_names(tmp_path: Path) -> None:
    spec = write(tmp_path, "a,label,n\n" + "".join(f"{i * 0.5:.1f},c{i % 2},{i}\n" for i in range(25)))
    assert load_domain(spec).provenance == (
        "batch.csv: 25 rows x 2 features, labels from column 'label'; WARNING: column 'n' counts rows "
        f"(0, 1, 2, … 24): {HINT}"
    )


def test_a_missing_cell_after_the_label_is_named_by_its_place(tmp_path: Path) -> None:
    spec = write(tmp_path, "".join(f"{i}.5,c{i % 2},1,{'' if i == 3 else 2}\n" for i in range(6)))
    assert refusal(spec).startswith(
        "batch.csv: 1 cell is missing, infinite or not a number: empty (or a missing-value marker such as "
        "n/a) in column 4 of the file on line 4 of the file;"
    )


def test_a_value_beyond_float32_is_named_by_its_place(tmp_path: Path) -> None:
    spec = write(tmp_path, "".join(f"{i}.5,c{i % 2},1,{'1e39' if i == 3 else 2}\n" for i in range(6)))
    assert refusal(spec) == (
        "batch.csv: 1 value beyond float32's range of ±3.4e38 (first in line 4 of the file, column "
        "4 of the file: 1e+39)"
    )


def test_a_label_column_of_many_values_is_named_by_its_place(tmp_path: Path) -> None:
    spec = write(tmp_path, "".join(f"{i % 3},c{i % 21},{i * 7 % 5}\n" for i in range(1, 41)))
    assert refusal(spec) == (
        "batch.csv: column 2 of the file (label=1) has 21 distinct values in 40 rows: it does not look like "
        "a class label (a label repeats); name the label column, or read the table with label=none"
    )


def test_a_text_column_of_too_many_values_is_named_by_its_place(tmp_path: Path) -> None:
    spec = write(tmp_path, "".join(f"{i}.5,c{i % 2},t{i % 55}\n" for i in range(60)))
    assert refusal(f"{spec}:text=onehot,label=1").startswith(
        "batch.csv: text column 3 of the file holds 55 distinct values, more than the 50 "
    )


def test_text_features_are_named_by_place_and_a_label_column_by_its_option(tmp_path: Path) -> None:
    spec = write(tmp_path, "1.0,a,x,2.0\n2.0,b,y,3.0\n3.0,a,x,1.0\n")
    assert refusal(spec) == (
        "batch.csv: non-numeric feature columns 2, 3 of the file (only a label column may hold "
        f"text: drop the others, or encode them as a 0/1 column per value: read it as {spec}:text=onehot; if "
        f"column 2 of the file (label=1) holds the labels, read the file as {spec}:label=1)"
    )
    assert refusal(f"{spec}:label=1") == (
        "batch.csv: non-numeric feature column 3 of the file (only the label column, column 2 of the file "
        "(label=1), may hold text: drop it, or encode it as a 0/1 column per value: read it as "
        f"{spec}:label=1,text=onehot)"
    )


@pytest.mark.parametrize("option", ["3", "-1", "x"])
def test_a_label_option_beyond_the_columns_says_it_counts_from_0(tmp_path: Path, option: str) -> None:
    spec = write(tmp_path, "1.0,a,2.0\n2.0,b,3.0\n3.0,a,1.0\n")
    assert refusal(f"{spec}:label={option}") == (
        f"batch.csv has no column {option!r}: in a file without a header label=N counts its 3 columns from 0 "
        "(label=0 is the first, label=2 the last); a table without labels (an unlabelled target): read it as "
        f"{spec}:label=none"
    )
    assert load_domain(f"{spec}:label=1").classes == ("a", "b")  # label=1: the second column, counted from 0
