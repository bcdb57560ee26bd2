"""``label=none`` means no label column: a table's text column is a feature, refused or encoded with
``text=onehot`` as any feature column is, in a file without a header too (where a text column is
otherwise taken as the labels) as on upload and when a target's copies are dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlcore.data.catalog import upload_summary
from tlcore.data.harmonise import harmonise
from tlcore.data.kept_samples import without_samples
from tlcore.data.spec import load_domain
from tlcore.data.uploads import save_upload
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.workspace import Workspace

ROWS = "1.0,north,2.0\n1.5,south,2.5\n0.5,north,3.0\n2.0,east,1.0\n"


def write(tmp_path: Path, header: str) -> str:
    path = tmp_path / "regions.csv"
    path.write_text(header + ROWS, encoding="utf-8")
    return str(path)


def test_label_none_reads_the_text_column_as_a_feature_with_or_without_a_header(tmp_path: Path) -> None:
    """Without label=none a file without a header takes its one text column as the labels; with it,
    that column is a feature, as it is in a file with a header."""
    assert load_domain(write(tmp_path, "")).classes == ("east", "north", "south")
    for header, name, shown in [
        ("", "feature 1", "column 2 of the file"),
        ("a,region,c\n", "region", "columns region"),
    ]:
        spec = write(tmp_path, header)
        domain = load_domain(f"{spec}:label=none,text=onehot")
        assert not domain.labelled and domain.X.tolist() == [
            [1.0, 0.0, 1.0, 0.0, 2.0],
            [1.5, 0.0, 0.0, 1.0, 2.5],
            [0.5, 0.0, 1.0, 0.0, 3.0],
            [2.0, 1.0, 0.0, 0.0, 1.0],
        ]
        assert domain.column_names[1:4] == tuple(f"{name}={v}" for v in ("east", "north", "south"))
        with pytest.raises(TLError) as caught:
            load_domain(f"{spec}:label=none")
        assert str(caught.value) == (
            f"regions.csv: non-numeric feature {shown} (no column may hold text: drop it, or encode "
            f"it as a 0/1 column per value: read it as {spec}:label=none,text=onehot)"
        )


def test_an_upload_read_with_label_none_keeps_its_text_column(tmp_path: Path) -> None:
    workspace = Workspace.resolve(tmp_path / "ws")
    data = ROWS.encode()
    name = save_upload(workspace, "regions.csv", data, label="none", text_onehot=True)
    stored = upload_summary(workspace, name)
    assert stored is not None and (stored["summary"]["labelled"], stored["summary"]["shape"]) == (False, [5])
    assert load_domain(f"upload:{name}:label=none,text=onehot", workspace).shape == (5,)


def test_dropping_rows_of_a_headerless_file_read_unlabelled_keeps_its_text_column(tmp_path: Path) -> None:
    path = Path(write(tmp_path, ""))
    kept = without_samples(path, {"1"}, Limits(), "regions.csv", "none")
    assert kept.decode().splitlines() == ["id,,,", "0,1.0,north,2.0", "2,0.5,north,3.0", "3,2.0,east,1.0"]


def test_an_unlabelled_headerless_target_whose_text_column_was_read_as_labels_is_told_of_label_none(
    tmp_path: Path,
) -> None:
    """Its one text column, a feature, is taken as its labels: one place short of the source, refused
    saying so; read with label=none it pairs."""
    labelled = "".join(f"{'xy'[i % 2]},{row}\n" for i, row in enumerate(ROWS.splitlines()))
    (tmp_path / "s.csv").write_text(labelled, encoding="utf-8")
    source = load_domain(f"{tmp_path / 's.csv'}:label=0,text=onehot")
    target = write(tmp_path, "")
    with pytest.raises(TLError) as caught:
        harmonise(source, load_domain(f"{target}:text=onehot"))
    assert str(caught.value) == (
        f"{target}:text=onehot has 2 feature columns and the source {source.name} has 3: a table without a "
        "header is read by the place of each column, so it needs the source's columns, in their order; one "
        "of its columns was read as its labels (a file without a header's one text column is, unless read "
        "with label=none)"
    )
    _, paired = harmonise(source, load_domain(f"{target}:label=none,text=onehot"))
    assert paired.shape == (5,) and not paired.labelled
