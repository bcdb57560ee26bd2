"""A table read with both ``missing=impute`` and ``text=onehot``: a missing number takes the source's
column median where the pair is made, a missing text cell is none of its column's values (its 0/1
columns all 0, nothing to fill), both counted in the provenance."""

from __future__ import annotations

from pathlib import Path

import torch

from tlcore.data.fill import FILL, MISSING_CELLS
from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_domain
from tlcore.data.spec_text import parse_spec

# x's present cells 1, 3, 5, 7: median 4; region's values east, north, south, one cell missing
SOURCE = "x,region,label\n1,north,a\n,south,b\n3,,a\n5,north,b\n7,east,a\n"
TARGET = "region,x\nsouth,\n,2\nwest,6\nnorth,8\n"  # other column order, a value the source never had


def test_a_pair_read_with_both_fills_numbers_with_the_source_medians_and_zeroes_text(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "t.csv").write_text(TARGET, encoding="utf-8")
    spec = parse_spec(f"{tmp_path / 's.csv'}:text=onehot,missing=impute")
    assert str(spec) == f"{tmp_path / 's.csv'}:missing=impute,text=onehot"  # one canonical order
    source = load_domain(str(spec))
    target = load_domain(f"{tmp_path / 't.csv'}:missing=impute,text=onehot")
    assert source.meta["columns"] == ("x", "region=east", "region=north", "region=south")
    assert source.meta[MISSING_CELLS] == {"x": 1}  # the numbers' holes; the text cell is no NaN
    assert source.X[2, 1:].tolist() == [0, 0, 0]  # its missing region: none of the values
    assert source.provenance.endswith(
        "; text columns as a 0/1 column per value (text=onehot): region (3 values); 1 missing text cell of "
        "1 column read as none of its column's values (its 0/1 columns all 0); 1 cell of 1 column "
        "missing, filled with the source's medians when paired (missing=impute)"
    )

    paired_source, paired_target = harmonise(source, target)
    assert paired_source.meta[FILL] == (4.0, 0.0, 0.0, 0.0)
    assert torch.equal(
        paired_source.X,
        torch.tensor(
            [[1, 0, 1, 0], [4, 0, 0, 1], [3, 0, 0, 0], [5, 0, 1, 0], [7, 1, 0, 0]], dtype=torch.float32
        ),
    )
    assert torch.equal(  # the source's columns by name, its median for x, zeros for the missing region
        paired_target.X,
        torch.tensor([[4, 0, 0, 1], [2, 0, 0, 0], [6, 0, 0, 0], [8, 0, 1, 0]], dtype=torch.float32),
    )
    notes = paired_target.meta["pair_report"].lines()
    assert "source: 1 cell of 1 column missing, filled with its own column medians" in notes
    assert "target: 1 cell of 1 column missing, filled with the source's column medians" in notes
    for side in ("source", "target"):  # the missing text cells too, not only in the provenance
        assert (
            f"{side}: 1 text cell of 1 column missing, read as none of its column's values (its 0/1 "
            "columns all 0): region (1)"
        ) in notes
    assert (
        "target: 1 sample with text values the source never had, read as none of its values (their 0/1 "
        "columns all 0): region: west (1)"
    ) in notes
