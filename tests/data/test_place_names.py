"""A table without a header keys each feature column by its place among the features (``feature 2``:
the third, the label column left out) and names it to a user as the column of the file it is
(``column 3 of the file``) wherever they read it, once a place was dropped too: the pair's notes on
missing cells, the columns of Diagnose's explanation, the file as read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_domain
from tlcore.explain.columns import column_drift
from tlcore.explain.settings import ExplainSettings

SOURCE = "".join(f"{i},,{10 * i % 7},{'xy'[i % 2]}\n" for i in range(8))  # place 1 empty in every row
TARGET = "".join(f"{i},{i},{'' if i < 5 else 3 * i},{'xy'[i % 2]}\n" for i in range(8))  # place 2: 5 holes


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("option", ["", ":missing=impute"])
def test_a_pair_names_the_columns_after_a_dropped_place_by_their_place(tmp_path: Path, option: str) -> None:
    """Dropped as the source was read, or by the pair (read with missing=impute): either way the
    target's third column is ``feature 2``, named ``column 3 of the file`` in its notes and in the
    explanation's columns."""
    source = load_domain(write(tmp_path / "s.csv", SOURCE) + option)
    target = load_domain(write(tmp_path / "t.csv", TARGET) + ":missing=impute")
    new_source, paired = harmonise(source, target)
    assert source.column_names == (
        ("feature 0", "feature 2") if not option else ("feature 0", "feature 1", "feature 2")
    )
    assert new_source.column_names == paired.column_names == ("feature 0", "feature 2")
    assert paired.meta["pair_report"].lines() == [
        "WARNING: column 2 of the file is empty in every row of the source: dropped from the source and the "
        "target (it carries no value to learn from)",
        "target: 5 cells of 1 column missing, filled with the source's column medians",
        "target column 3 of the file: 5 of its 8 cells filled in: its part of the gap is partly the fill",
    ]
    drift = column_drift(new_source, paired, ExplainSettings())
    assert [(c.index, c.name) for c in drift] == [(0, "column 1 of the file"), (1, "column 3 of the file")]
