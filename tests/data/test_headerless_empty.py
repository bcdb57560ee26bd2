"""A CSV without a header whose column is empty in every row: the column is keyed by its place among
the features as read (``feature 1``), so a pair drops it from the source and from the target as it
does a named one, with the same note (naming it as the column of the file it is, ``column 2 of the
file``); a target that dropped a column the source has is refused in one
line saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.cli import main
from tlcore.data.domain import shown_column, shown_columns
from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_domain
from tlcore.errors import TLError

NOTE = (
    "WARNING: column 2 of the file is empty in every row of the source: dropped from the source and the "
    "target (it carries no value to learn from)"
)
FULL = "1,10,100,x\n2,20,200,y\n3,30,300,x\n"  # a target without a header: features 0, 1, 2; labels


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("option", ["", ":missing=impute"])
def test_a_headerless_sources_empty_column_is_dropped_from_both_sides(tmp_path: Path, option: str) -> None:
    """Read without missing=impute the source drops it as read; with it the pair drops it: either way
    the target's column at the same place goes too."""
    source = load_domain(write(tmp_path / "s.csv", "5,,7,x\n6,,8,y\n9,,9,x\n") + option)
    target = load_domain(write(tmp_path / "t.csv", FULL))
    new_source, paired = harmonise(source, target)
    assert new_source.X.tolist() == [[5, 7], [6, 8], [9, 9]]
    assert paired.X.tolist() == [[1, 100], [2, 200], [3, 300]]
    assert paired.meta["pair_report"].lines() == [NOTE]
    if not option:
        assert source.provenance.endswith(
            "labels from column 4 of the file (label=3); WARNING: column 2 of the file is empty in every "
            "row: dropped (no value to learn from; a pair whose source has it keeps it with missing=impute, "
            "filled with the source's median)"
        )


def test_a_headerless_target_that_dropped_its_own_empty_column_keeps_the_places(tmp_path: Path) -> None:
    """Both files empty at place 1: the target's place 2 stays its second column, not dropped for it."""
    source = load_domain(write(tmp_path / "s.csv", "5,,7,x\n6,,8,y\n9,,9,x\n"))
    target = load_domain(write(tmp_path / "t.csv", "1,,100,x\n2,,200,y\n3,,300,x\n"))
    _, paired = harmonise(source, target)
    assert paired.X.tolist() == [[1, 100], [2, 200], [3, 300]]
    assert paired.meta["pair_report"].lines() == [NOTE]


def test_a_headerless_target_lacking_a_source_column_it_dropped_is_refused_saying_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "s.csv", FULL)
    target = write(tmp_path / "t.csv", ",10,100,x\n,20,200,y\n,30,300,x\n")
    with pytest.raises(TLError):
        harmonise(load_domain(source), load_domain(target))
    argv = ["--workspace", str(tmp_path / "ws"), "diagnose", "--source", source, "--target", target]
    assert main([*argv, "--no-umap", "--no-explain", "--permutations", "10"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: feature dimensions differ: the source {source} has 3, {target} 2; its column 1 of the file "
        "is empty in every row, so reading dropped it: read the file with the spec option missing=impute to "
        "keep it"
    ]
    _, paired = harmonise(load_domain(source), load_domain(f"{target}:missing=impute"))
    assert paired.X.tolist() == [[2, 10, 100], [2, 20, 200], [2, 30, 300]]  # filled with the source's median


def test_a_pairs_note_names_empty_columns_in_both_files_where_they_hold_them_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The target's label first: its features sit one column further right, and the note names the
    dropped places in the source's file and the target's (as Diagnose names a moved column); it named
    them by the source's file only."""
    source = write(tmp_path / "s.csv", "5,,7,,x\n6,,8,,y\n9,,9,,x\n5,,6,,y\n")
    target = write(tmp_path / "t.csv", "x,1,10,100,4\ny,2,20,200,5\nx,3,30,300,6\ny,4,40,400,7\n")
    target += ":label=0"  # its features in columns 2 to 5
    note = (
        "WARNING: columns 2, 4 of the source's file (3, 5 of the target's) are empty in every row of the "
        "source: dropped from the source and the target (they carry no value to learn from)"
    )
    _, paired = harmonise(load_domain(f"{source}:missing=impute"), load_domain(target))
    assert paired.meta["pair_report"].lines() == [note]
    argv = ["--workspace", str(tmp_path / "ws"), "diagnose", "--source", source, "--target", target]
    assert main([*argv, "--no-umap", "--no-explain", "--permutations", "10"]) == 0
    assert f"pairing: {note}" in " ".join(capsys.readouterr().out.split())


def test_one_empty_column_of_a_pair_is_named_in_both_files() -> None:
    both = "column 2 of the source's file (3 of the target's)"
    assert shown_column("feature 1", (0, 1, 2), (1, 2, 3)) == both
    assert shown_column("feature 1", (0, 1, 2), (0, 1, 2)) == "column 2 of the file"
    same = shown_columns(["feature 0", "feature 2"], (0, 1, 2), target_columns=(0, 1, 2))
    assert same == "columns 1, 3 of the file"
    assert shown_columns(["a", "b"], (), target_columns=(1, 2)) == "columns 'a', 'b'"
