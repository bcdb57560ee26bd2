"""A table without a header keys its text columns (``text=onehot``) by their place, as it keys every
other column (``feature 3``: the file's fifth column, the label column at place 2 left out), never by
pandas' column number: the values each encodes, its 0/1 columns (``feature 3=p``), its missing cells,
and the columns after it; its provenance names them as the columns of the file they are (``column 5
of the file``). A file with a header keeps its names."""

from __future__ import annotations

from pathlib import Path

from tlcore.data.categories import CATEGORIES, place_columns
from tlcore.data.fill import MISSING_CELLS, MISSING_TEXT
from tlcore.data.spec import load_domain
from tlcore.explain.text_drift import text_groups

ROWS = "0.5,nn,x,1,p\n1.5,sn,y,,q\n2.5,nn,x,3,\n3.5,sn,y,4,p\n"  # place 2 and 3 miss a cell each
PLACES = ("feature 0", "feature 1=nn", "feature 1=sn", "feature 2", "feature 3=p", "feature 3=q")


def test_a_headerless_files_text_columns_are_named_by_their_place(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_text(ROWS, encoding="utf-8")
    domain = load_domain(f"{path}:text=onehot,label=2,missing=impute")
    assert domain.meta[CATEGORIES] == {"feature 1": ("nn", "sn"), "feature 3": ("p", "q")}
    assert domain.column_names == PLACES
    assert domain.meta[MISSING_CELLS] == {"feature 2": 1}  # not the fourth 0/1-expanded column
    assert domain.meta[MISSING_TEXT] == {"feature 3": 1}
    assert (
        "(text=onehot): column 2 of the file (2 values), column 5 of the file (2 values)" in domain.provenance
    )
    assert text_groups(domain) == {"feature 1": (1, 2), "feature 3": (4, 5)}  # its 0/1 columns found
    assert domain.X[:, 4:].tolist() == [[1, 0], [0, 1], [0, 0], [1, 0]]


def test_a_headed_files_text_columns_keep_their_names(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_text("a,region,label,b,plan\n" + ROWS, encoding="utf-8")
    domain = load_domain(f"{path}:text=onehot,missing=impute")
    assert domain.meta[CATEGORIES] == {"region": ("nn", "sn"), "plan": ("p", "q")}
    assert domain.column_names == ("a", "region=nn", "region=sn", "b", "plan=p", "plan=q")
    assert domain.meta[MISSING_CELLS] == {"b": 1} and domain.meta[MISSING_TEXT] == {"plan": 1}


def test_place_columns_expands_text_places_and_skips_dropped_ones() -> None:
    categories = {"feature 1": ("a", "b")}
    assert place_columns(5, categories, ("feature 2",)) == (
        "feature 0",
        "feature 1=a",
        "feature 1=b",
        "feature 3",
        "feature 4",
    )
    assert place_columns(3, {}) == ("feature 0", "feature 1", "feature 2")
