"""``text=onehot``: a table's text feature columns as a 0/1 column per value; a pair takes the
source's encoding (a value the target lacks: zeros; one the source never had: reported); the CLI's
``data upload --text onehot``; one-line refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tlcore.cli import main
from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_domain
from tlcore.data.spec_text import parse_spec
from tlcore.errors import TLError


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_a_three_value_column_becomes_three_sorted_0_1_columns_in_its_place(tmp_path: Path) -> None:
    table = write(
        tmp_path / "sales.csv",
        "x,region,plan,label\n1.5,north,b,yes\n2.5,south,a,no\n3.5,east,b,yes\n4.5,north,a,no\n",
    )
    domain = load_domain(f"{table}:text=onehot")
    assert domain.meta["columns"] == ("x", "region=east", "region=north", "region=south", "plan=a", "plan=b")
    assert domain.meta["categories"] == {"region": ("east", "north", "south"), "plan": ("a", "b")}
    expected = [
        [1.5, 0, 1, 0, 0, 1],
        [2.5, 0, 0, 1, 1, 0],
        [3.5, 1, 0, 0, 0, 1],
        [4.5, 0, 1, 0, 1, 0],
    ]
    assert torch.equal(domain.X, torch.tensor(expected, dtype=torch.float32))
    assert domain.classes == ("no", "yes") and domain.y.tolist() == [1, 0, 1, 0]
    assert domain.provenance.endswith(
        "; text columns as a 0/1 column per value (text=onehot): region (3 values), plan (2 values)"
    )
    assert str(parse_spec(f"{table}:missing=drop,text=onehot")) == f"{table}:missing=drop,text=onehot"


def test_a_missing_text_cell_is_a_missing_cell(tmp_path: Path) -> None:
    table = write(tmp_path / "gaps.csv", "x,region,label\n1,north,a\n2,,b\n3,south,a\n4,north,b\n")
    with pytest.raises(TLError) as refused:
        load_domain(f"{table}:text=onehot")
    assert str(refused.value) == (
        "gaps.csv: 1 cell is missing, infinite or not a number: empty (or a missing-value marker such as "
        "n/a) in column 'region' on line 3 of the file; fix it in the file, or drop its row: read it as "
        f"{table}:missing=drop,text=onehot; or fill it in (a missing text cell read as none of its column's "
        "values): missing=impute"
    )
    dropped = load_domain(f"{table}:missing=drop,text=onehot")
    assert dropped.ids == ("0", "2", "3") and dropped.meta["columns"] == ("x", "region=north", "region=south")
    assert dropped.X[:, 1:].tolist() == [[1, 0], [0, 1], [1, 0]]


def test_a_column_over_the_cap_is_refused_naming_it_and_its_count(tmp_path: Path) -> None:
    rows = "".join(f"{i},customer{i},{'ab'[i % 2]}\n" for i in range(51))
    table = write(tmp_path / "ids.csv", f"x,customer,label\n{rows}")
    with pytest.raises(TLError) as refused:
        load_domain(f"{table}:text=onehot")
    assert str(refused.value) == (
        "ids.csv: text column 'customer' holds 51 distinct values, more than the 50 "
        "(TLSTUDIO_MAX_TEXT_VALUES) that text=onehot encodes (an identifier? rename it id (or sample_id) so "
        "it is not learned from; free text? drop the column)"
    )
    fifty = write(tmp_path / "fifty.csv", "x,customer,label\n" + "".join(rows.splitlines(True)[:50]))
    assert load_domain(f"{fifty}:text=onehot").shape == (51,)  # x and 50 values: at the cap


def test_a_pair_takes_the_sources_encoding_and_reports_the_values_it_never_had(tmp_path: Path) -> None:
    source = write(
        tmp_path / "source.csv",
        "x,region,label\n1,north,a\n2,south,b\n3,east,a\n4,north,b\n5,south,a\n6,east,b\n",
    )
    target = write(tmp_path / "target.csv", "region,x\nnorth,1.5\nwest,2.5\nnorth,3.5\nwest,4.5\nsouth,5.5\n")
    src, tgt = harmonise(load_domain(f"{source}:text=onehot"), load_domain(f"{target}:text=onehot"))
    assert tgt.meta["columns"] == src.meta["columns"] == ("x", "region=east", "region=north", "region=south")
    expected = [[1.5, 0, 1, 0], [2.5, 0, 0, 0], [3.5, 0, 1, 0], [4.5, 0, 0, 0], [5.5, 0, 0, 1]]
    assert torch.equal(tgt.X, torch.tensor(expected, dtype=torch.float32))
    assert tgt.meta["pair_report"].lines() == [
        "target: feature columns taken by name, in the source's order",
        "target holds no sample of the source's text values region=east: their columns all 0",
        "target: 2 samples with text values the source never had, read as none of its values (their 0/1 "
        "columns all 0): region: west (2)",
    ]


def test_a_text_column_the_source_lacks_is_named_once_with_its_count_of_values(tmp_path: Path) -> None:
    """QA helper-218: a new file's 50-value customer id column was listed as its 50 0/1 columns."""
    source = write(tmp_path / "source.csv", "x,region,label\n1,north,a\n2,south,b\n3,north,a\n")
    target = write(
        tmp_path / "target.csv",
        "x,customer,region,extra\n1.5,c1,north,7\n2.5,c2,south,8\n3.5,c3,north,9\n",
    )
    tgt = harmonise(load_domain(f"{source}:text=onehot"), load_domain(f"{target}:text=onehot"))[1]
    assert tgt.meta["columns"] == ("x", "region=north", "region=south")
    assert tgt.meta["pair_report"].lines() == [  # x, region in the source's order: no reorder said
        "target columns unknown to the source ignored: customer (text, 3 values), extra"
    ]


def test_values_the_source_never_had_are_counted_in_the_rows_kept(tmp_path: Path) -> None:
    """The target's class z, unknown to the source, is dropped (5 rows, all west): the new values are
    counted in the 11 rows kept, west 2 and south 3 (not west 7 of every row read), largest first."""
    source = write(
        tmp_path / "s.csv", "region,a,label\n" + "".join(f"north,{i},{'xy'[i % 2]}\n" for i in range(6))
    )
    rows = [f"west,{i},z" for i in range(5)] + ["west,1,x", "west,2,y", "south,3,x", "south,4,y", "south,5,x"]
    rows += [f"north,{i},{'xy'[i % 2]}" for i in range(6)]
    target = write(tmp_path / "t.csv", "region,a,label\n" + "\n".join(rows) + "\n")
    _, paired = harmonise(*(load_domain(f"{path}:text=onehot") for path in (source, target)))
    report = paired.meta["pair_report"].target
    assert paired.n_samples == 11 and report.unknown_classes == {"z": 5}
    assert report.columns.unseen == {"region": {"south": 3, "west": 2}} and report.columns.n_unseen == 5
    assert int((paired.X[:, 0] == 0).sum()) == 5  # the rows with none of the source's values: the same 5
    assert (
        "target: 5 samples with text values the source never had, read as none of its values (their 0/1 "
        "columns all 0): region: south (3), west (2)"
    ) in paired.meta["pair_report"].lines()


def test_the_option_is_refused_off_tables_and_named_by_the_refusals(tmp_path: Path) -> None:
    with pytest.raises(
        TLError, match=r"^text=onehot: use text=onehot \(each text feature.*\) on a table file$"
    ):
        parse_spec("mnist5k:text=onehot")
    with pytest.raises(TLError, match=r"^text=yes: use text=onehot \(.*\) on a table file$"):
        parse_spec("x.csv:text=yes")
    table = write(tmp_path / "t.csv", "x,region\n1,north\n2,south\n")
    with pytest.raises(TLError) as refused:
        load_domain(f"{table}:label=none")
    assert str(refused.value) == (
        "t.csv: non-numeric feature columns region (no column may hold text: drop it, or encode it as a 0/1 "
        f"column per value: read it as {table}:label=none,text=onehot)"
    )


def test_cli_upload_with_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = write(tmp_path / "sales.csv", "x,region,label\n1,north,a\n2,south,b\n3,north,a\n")
    workspace = tmp_path / "ws"

    def upload(*argv: str) -> tuple[int, str, str]:
        code = main(["--workspace", str(workspace), "data", "upload", *argv])
        return code, *capsys.readouterr()

    code, out, err = upload(table)
    assert (
        code == 2
        and out == ""
        and err
        == (
            "error: sales.csv: non-numeric feature columns region (only the label column, label, may hold "
            "text: drop it, or encode it as a 0/1 column per value: upload with --text onehot (the spec "
            "option text=onehot))\n"
        )
    )
    assert not any((workspace / "uploads").iterdir())  # nothing half-written
    code, out, _ = upload(table, "--text", "onehot")
    assert code == 0 and out.splitlines() == [
        "stored as upload:sales.csv; use it as upload:sales.csv:text=onehot",
        "upload:sales.csv:text=onehot: 3 samples of 3 features",
        "  provenance: upload:sales.csv: 3 rows x 3 features, labels from column 'label'; text columns as "
        "a 0/1 column per value (text=onehot): region (2 values)",
        "  2 classes: a: 2, b: 1",
    ]
    (tmp_path / "x.npz").write_bytes(b"")
    code, out, err = upload(str(tmp_path / "x.npz"), "--text", "onehot")
    assert code == 2 and err == "error: x.npz: text=onehot applies to tables only (CSV, TSV, Parquet)\n"
    assert sorted(p.name for p in (workspace / "uploads").iterdir()) == ["sales.csv"]
