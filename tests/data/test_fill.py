"""missing=impute: a table keeps its rows, its missing cells NaN as read, filled with the SOURCE's column
medians where the pair is made (never the target's own), and said in the provenance and the pair's
report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tlcore.cli import main
from tlcore.data.fill import FILL, column_medians
from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_domain, store_upload
from tlcore.data.spec_text import IMPUTE
from tlcore.errors import TLError
from tlcore.numbers import plural
from tlcore.workspace import Workspace

# a hand-made 5-row source: medians 3 (odd count), 25 (even count, one missing: mean of 20 and 30)
SOURCE = "a,b,label\n1,10,x\n2,,y\n3,20,x\n4,30,y\n100,40,x\n"


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_fill_values_are_the_sources_column_medians(tmp_path: Path) -> None:
    source = load_domain(f"{write(tmp_path / 'source.csv', SOURCE)}:missing=impute")
    assert source.n_samples == 5 and torch.isnan(source.X[1, 1])
    assert column_medians(source.X) == (3.0, 25.0)
    paired, _ = harmonise(source, source)
    assert paired.meta[FILL] == (3.0, 25.0) and paired.X[1].tolist() == [2.0, 25.0]
    assert paired.X[[0, 2, 3, 4]].tolist() == [[1, 10], [3, 20], [4, 30], [100, 40]]


def test_a_targets_holes_take_the_sources_medians_not_its_own(tmp_path: Path) -> None:
    """Columns in another order, an empty cell, 'n/a', '#DIV/0!' and inf: each filled with the source's
    median of its column, the present cells as they were; the labels kept, the report says it."""
    source = load_domain(write(tmp_path / "source.csv", SOURCE.replace("2,,y", "2,15,y")))
    rows = ["b,a,label", "1000,,x", "n/a,7,y", "2000,#DIV/0!,x", "inf,9,y", "3000,8,x"]
    rows += [f"{4000 + i},{10 + i},{'xy'[i % 2]}" for i in range(20)]  # a column mostly numeric
    target = load_domain(f"{write(tmp_path / 'target.csv', chr(10).join(rows))}:missing=impute")
    assert target.meta["missing_cells"] == {"b": 2, "a": 2}
    assert "; 4 cells of 2 columns missing, filled with the source's medians when paired" in target.provenance
    _, paired = harmonise(source, target)
    assert paired.X[:5].tolist() == [[3, 1000], [7, 20], [3, 2000], [9, 20], [8, 3000]]
    assert paired.n_samples == 25 and [paired.classes[int(c)] for c in paired.y[:3]] == ["x", "y", "x"]
    assert "target: 4 cells of 2 columns missing, filled with the source's column medians" in (
        paired.meta["pair_report"].lines()
    )


def test_a_one_row_target_and_a_mostly_filled_column(tmp_path: Path) -> None:
    """A one-row file has no median of its own: it takes the source's; a column filled in more than
    half its rows gets the note that its part of the gap is partly the fill."""
    source = load_domain(write(tmp_path / "source.csv", SOURCE.replace("2,,y", "2,15,y")))
    one = load_domain(write(tmp_path / "one.csv", "a,b\n5,\n") + ":missing=impute")
    assert harmonise(source, source)[0].meta[FILL] == (3.0, 20.0)
    with pytest.raises(TLError, match="has 1 sample"):  # a pair needs two: the fill is not what fails
        harmonise(source, one)
    two = load_domain(write(tmp_path / "two.csv", "a,b\n5,\n6,\n") + ":missing=impute")
    _, paired = harmonise(source, two)
    assert paired.X.tolist() == [[5, 20], [6, 20]]
    assert "target column 'b': 2 of its 2 cells filled in: its part of the gap is partly the fill" in (
        paired.meta["pair_report"].lines()
    )


def test_a_source_column_without_any_value_is_dropped_from_both_sides(tmp_path: Path) -> None:
    """A source column with no value (missing=impute keeps it, all NaN) has no median and nothing to
    learn: the pair drops it from the source and from the target, saying so, and fills the rest."""
    source = load_domain(write(tmp_path / "source.csv", "a,b,label\n1,,x\n2,,y\n3,,x\n") + ":missing=impute")
    target = load_domain(write(tmp_path / "target.csv", "b,a\n7,1\n8,\n") + ":missing=impute")
    new_source, paired = harmonise(source, target)
    assert new_source.column_names == ("a",) and new_source.X.flatten().tolist() == [1, 2, 3]
    assert new_source.meta[FILL] == (2.0,) and paired.X.flatten().tolist() == [1, 2]  # the source's median
    assert paired.meta["pair_report"].lines()[0] == (
        "WARNING: column 'b' is empty in every row of the source: dropped from the source and the target "
        "(it carries no value to learn from)"
    )
    with pytest.raises(TLError, match=r"every feature column is empty in every row: no value to learn from"):
        harmonise(load_domain(write(tmp_path / "e.csv", "b,label\n,x\n,y\n") + ":missing=impute"), target)


def test_a_source_column_empty_in_every_row_is_dropped_by_the_cli_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source column with no value under missing=impute: a CSV's reads as numbers (no median), a
    Parquet text column's as a text column of no value (no 0/1 column): each dropped, not refused; the
    CLI says so in its pairing notes."""
    source = write(tmp_path / "s.csv", "a,region,label\n1,,x\n2,,y\n3,,x\n")
    target = write(tmp_path / "t.csv", "a,region\n1,north\n2,\n")
    spec, other = f"{source}:missing=impute,text=onehot", f"{target}:missing=impute,text=onehot"
    argv = ["--workspace", str(tmp_path / "ws"), "diagnose", "--source", spec, "--target", other]
    code = main([*argv, "--no-umap", "--no-explain", "--permutations", "10"])
    out = " ".join(capsys.readouterr().out.split())
    assert (
        code == 0
        and (
            "pairing: WARNING: column 'region' is empty in every row of the source: dropped from the "
            "source and the target (it carries no value to learn from)"
        )
        in out
    )
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "region": pd.Series([None] * 3, dtype="string")})
    frame.assign(label=["x", "y", "x"]).to_parquet(tmp_path / "s.parquet")
    parquet = load_domain(f"{tmp_path / 's.parquet'}:missing=impute,text=onehot")
    assert parquet.meta["categories"] == {"region": ()} and parquet.X.shape == (3, 1)  # no 0/1 column
    assert "; WARNING: column 'region' is empty in every row: a pair drops it from its source" in (
        parquet.provenance
    )
    new_source, _ = harmonise(parquet, load_domain(other))
    assert new_source.meta["categories"] == {} and new_source.column_names == ("a",)


def test_an_upload_says_what_a_pair_does_with_a_column_empty_in_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A column with no value has no median: the upload's provenance warns that a pair drops it from its
    source (and its target) and fills it in a target whose source has it, as the pair does."""
    path = write(tmp_path / "e.csv", "a,b,empty,label\n1,,,x\n2,3,,y\n3,4,,x\n")
    assert main(["--workspace", str(tmp_path / "ws"), "data", "upload", path, "--missing", "impute"]) == 0
    assert " ".join(capsys.readouterr().out.split()).endswith(
        "labels from column 'label'; 1 cell of 1 column missing, filled with the source's medians when "
        "paired (missing=impute); WARNING: column 'empty' is empty in every row: a pair drops it from its "
        "source, and from its target (no value to learn from); in a target with the source's column it "
        "takes the source's median (or none of its text values) 2 classes: x: 2, y: 1"
    )
    table = load_domain(f"{path}:missing=impute")
    assert harmonise(table, table)[1].column_names == ("a", "b")
    source = load_domain(write(tmp_path / "s.csv", "a,b,empty,label\n1,2,7,x\n2,3,9,y\n"))
    assert harmonise(source, table)[1].X[:, 1:].tolist() == [[2.5, 8], [3, 8], [4, 8]]  # medians 2.5, 8


def test_a_column_empty_in_every_row_is_dropped_on_reading_and_by_a_pair(
    tmp_path: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without missing= (and with missing=drop) a column empty in every row is dropped as the file is
    read, with a warning naming it, not refused; uploaded as a source (the Data page's Use as source),
    read with missing=impute, it is stored, the pair dropping it; a target that dropped a column its
    source has is refused saying how to keep it; a file of nothing else is refused."""
    path = write(tmp_path / "e.csv", "a,empty,label\n1,,x\n2,,y\n")
    ws = ["--workspace", str(workspace.root)]
    assert main([*ws, "data", "upload", path]) == 0
    assert main([*ws, "data", "upload", path, "--missing", "drop"]) == 0
    warning = (
        "WARNING: column 'empty' is empty in every row: dropped (no value to learn from; a pair whose "
        "source has it keeps it with missing=impute, filled with the source's median)"
    )
    out = " ".join(capsys.readouterr().out.split())
    assert out.count(f"upload:e.csv: 2 rows x 1 features, labels from column 'label'; {warning}") == 2
    data = Path(path).read_bytes()
    assert (
        store_upload(workspace, "e.csv", data, missing=IMPUTE, source=True) == "upload:e.csv:missing=impute"
    )
    source = load_domain(write(tmp_path / "s.csv", "a,empty,label\n1,5,x\n2,6,y\n"))
    with pytest.raises(TLError) as refused:
        harmonise(source, load_domain(path))
    assert str(refused.value) == (
        f"{path}: column 'empty' is empty in every row, so reading dropped it; the source {source.name} has "
        f"it: read the file with the spec option missing=impute to keep it, filled in from the source "
        f"{source.name}"
    )
    with pytest.raises(TLError, match=r"every feature column is empty in every row: no value to learn from"):
        load_domain(write(tmp_path / "none.csv", "empty,label\n,x\n,y\n"))


def test_a_target_column_empty_in_every_row_is_the_sources_text_column_all_missing(tmp_path: Path) -> None:
    """A one-row file's missing region reads as numbers (a column without a value): paired with a source
    that encodes region, it is region with its cell missing (0/1 columns all 0), not a column the
    source lacks."""
    source = load_domain(
        write(tmp_path / "s.csv", "a,region,label\n1,north,x\n2,south,y\n3,,x\n")
        + ":missing=impute,text=onehot"
    )
    target = load_domain(write(tmp_path / "t.csv", "region,a\n,5\n,\n") + ":missing=impute,text=onehot")
    _, paired = harmonise(source, target)
    assert paired.X.tolist() == [[5, 0, 0], [2, 0, 0]]  # a: the source's median 2
    notes = paired.meta["pair_report"].lines()
    assert (
        "target: 2 text cells of 1 column missing, read as none of their column's values (their 0/1 columns "
        "all 0): region (2)"
    ) in notes
    assert not [n for n in notes if "ignored" in n or "holds no sample" in n]


def test_cli_upload_with_missing_impute_keeps_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.DataFrame({"f1": np.arange(12) / 7, "f2": np.arange(12) % 5, "label": list("ab") * 6})
    text = frame.astype(object)
    text.loc[3, "f1"] = "#DIV/0!"
    text.to_csv(tmp_path / "gaps.csv", index=False)
    workspace = str(tmp_path / "ws")
    assert (
        main(["--workspace", workspace, "data", "upload", str(tmp_path / "gaps.csv"), "--missing", "impute"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "stored as upload:gaps.csv; use it as upload:gaps.csv:missing=impute"
    assert main(["--workspace", workspace, "data", "inspect", "upload:gaps.csv:missing=impute"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "12 samples of 2 features" in out
    assert "1 cell of 1 column missing, filled with the source's medians when paired (missing=impute)" in out


def test_the_missing_counts_are_of_the_rows_n_draws(tmp_path: Path) -> None:
    """n= draws rows after the file is read: its provenance then counts the missing cells of the rows
    drawn (what a run uses), as the pair's notes do, and its meta holds those counts."""
    rows = [
        f"{i},{'' if i % 3 == 0 else i},{'' if i % 4 == 0 else 'ab'[i % 2]},{'xy'[i % 2]}" for i in range(12)
    ]
    path = write(tmp_path / "holes.csv", "id,a,region,label\n" + "\n".join(rows) + "\n")
    whole = load_domain(f"{path}:missing=impute,text=onehot")
    assert (whole.meta["missing_cells"], whole.meta["missing_text_cells"]) == ({"a": 4}, {"region": 3})
    drawn = load_domain(f"{path}:n=6,missing=impute,text=onehot", seed=1)
    ids = [int(i) for i in drawn.ids]
    cells, text = sum(i % 3 == 0 for i in ids), sum(i % 4 == 0 for i in ids)
    assert (cells, text) != (4, 3) and cells and text  # the draw holds some, not all of them
    assert drawn.meta["missing_cells"] == {"a": cells} and drawn.meta["missing_text_cells"] == {
        "region": text
    }
    assert drawn.provenance.endswith(
        f"; 6 samples drawn (seed 1), holding {plural(cells, 'missing cell')} of 1 column and "
        f"{plural(text, 'missing text cell')} of 1 column"
    )
    lines = harmonise(whole, drawn)[1].meta["pair_report"].lines()  # the pair's notes: the same rows
    assert (
        f"target: {plural(cells, 'cell')} of 1 column missing, filled with the source's column medians"
        in lines
    )
    assert f"target: {plural(text, 'text cell')} of 1 column missing" in " ".join(lines)
