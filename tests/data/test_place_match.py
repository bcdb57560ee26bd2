"""A pair of tables without a header read with ``text=onehot`` matches by place as a pair with headers
matches by name: the target's text column takes the source's values (one the source never had
reported, one the target lacks a column of zeros), named by place; another number of places is
refused saying both counts, even where the 0/1 columns make up the width."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_sides
from tlcore.errors import TLError

SOURCE = "0.5,east,1,a\n1.5,north,2,b\n2.5,south,3,a\n3.5,north,4,b\n4.5,east,5,a\n"
# west is new, east absent
TARGET = "0.5,north,1,a\n1.5,west,2,b\n2.5,south,3,a\n3.5,west,4,b\n4.5,north,5,a\n"
# four places, two values: five columns
WIDE = "0.5,north,1,9,a\n1.5,west,2,9,b\n2.5,north,3,9,a\n3.5,west,4,9,b\n"


def sides(tmp_path: Path, target: str, label: int = 3) -> tuple[str, str]:
    (tmp_path / "s.csv").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "t.csv").write_text(target, encoding="utf-8")
    return f"{tmp_path / 's.csv'}:label=3,text=onehot", f"{tmp_path / 't.csv'}:label={label},text=onehot"


def test_a_target_without_a_header_takes_the_sources_values(tmp_path: Path) -> None:
    source, target = harmonise(*load_sides(*sides(tmp_path, TARGET)))
    names = ("feature 0", "feature 1=east", "feature 1=north", "feature 1=south", "feature 2")
    assert source.column_names == names and target.column_names == names
    assert target.X.tolist() == [
        [0.5, 0, 1, 0, 1],
        [1.5, 0, 0, 0, 2],
        [2.5, 0, 0, 1, 3],
        [3.5, 0, 0, 0, 4],
        [4.5, 0, 1, 0, 5],
    ]
    assert target.meta["pair_report"].lines() == [
        "target holds no sample of the source's text values column 2 of the file=east: their columns all 0",
        "target: 2 samples with text values the source never had, read as none of its values (their 0/1 "
        "columns all 0): column 2 of the file: west (2)",
    ]


def test_a_target_of_another_number_of_places_is_refused_saying_both_counts(tmp_path: Path) -> None:
    source, target = load_sides(*sides(tmp_path, WIDE, label=4))
    assert source.shape == target.shape == (5,)
    with pytest.raises(TLError) as refused:
        harmonise(source, target)
    assert str(refused.value) == (
        f"{target.name} has 4 feature columns and the source {source.name} has 3: a table without a header "
        "is read by the place of each column, so it needs the source's columns, in their order"
    )


def test_a_target_holding_numbers_where_the_source_reads_text_is_refused_naming_the_column(
    tmp_path: Path,
) -> None:
    numbers = TARGET.replace("north", "1").replace("west", "2").replace("south", "3")
    source, target = load_sides(*sides(tmp_path, numbers))
    with pytest.raises(TLError) as refused:
        harmonise(source, target)
    reference = f"the source {source.name}"
    assert str(refused.value) == (
        f"{target.name}: column 2 of the file holds numbers, where {reference} reads text ('east', 'north', "
        f"'south'): check that it is the column {reference} has there, and give its cells {reference}'s "
        "text values"
    )
