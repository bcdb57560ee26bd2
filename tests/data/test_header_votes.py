"""A CSV's first line read as its header or as a sample by its fields' votes (tlcore.data.csv_text):
a tiny file without a header is not misread, a real header still is one, and a line the data cannot
place is read with a note saying how and how to make the file say otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.data.uploads import read_path

NO_NOTE = "line 1 of the file"


@pytest.mark.parametrize(
    ("text", "rows", "X", "classes"),
    [
        ("1.0,2.0,a\n3.0,4.0,b\n", 2, [[1.0, 2.0], [3.0, 4.0]], ("a", "b")),  # its label 'a' not below
        ("0.5,7,cat\n", 1, [[0.5, 7.0]], ("cat",)),  # one line: a sample
        ("x1,x2,label\n1.0,2.0,a\n", 1, [[1.0, 2.0]], ("a",)),  # names over numbers: a header
        ("a,b,label\n1,2,x\n3,4,x\n", 2, [[1.0, 2.0], [3.0, 4.0]], ("x",)),
    ],
    ids=["two-rows-headerless", "one-row-headerless", "two-rows-header", "header-over-repeated-label"],
)
def test_a_first_line_that_is_plainly_a_sample_or_a_header_is_read_so_silently(
    tmp_path: Path, text: str, rows: int, X: list[list[float]], classes: tuple[str, ...]
) -> None:
    (tmp_path / "t.csv").write_text(text)
    domain = read_path(tmp_path / "t.csv")
    assert domain.n_samples == rows and domain.X.tolist() == X and domain.classes == classes
    assert NO_NOTE not in domain.provenance


def test_a_sample_whose_label_is_new_below_repeated_ones_is_read_as_a_sample_with_a_note(
    tmp_path: Path,
) -> None:
    """Two numbers look like values, a label none of the repeated ones below like a name: the values
    win, and the note says how a header would have to be written to be read as one."""
    (tmp_path / "t.csv").write_text("1,2,new\n3,4,a\n5,6,a\n")
    domain = read_path(tmp_path / "t.csv")
    assert domain.n_samples == 3 and domain.classes == ("a", "new") and domain.y.tolist() == [1, 0, 0]
    assert domain.provenance.endswith(
        "; line 1 of the file read as a sample, not a header: its fields read as 1 column name and "
        "2 values; if it names the columns, give them names that are neither numbers nor values of the "
        "rows below"
    )


def test_a_first_line_the_data_cannot_place_is_read_as_the_header_saying_so(tmp_path: Path) -> None:
    """Text over columns of text whose values are all different tells nothing: the header, with how
    to make the file hold a sample there instead."""
    (tmp_path / "t.csv").write_text("north,a\nsouth,b\neast,c\n")
    domain = read_path(tmp_path / "t.csv", label_column="a", text_onehot=True)
    assert domain.n_samples == 2 and domain.classes == ("b", "c")
    assert (
        "; line 1 of the file read as the header: none of its fields tells a column name from a value; "
        "if it is a sample, add a line above it naming the columns;"
    ) in domain.provenance
