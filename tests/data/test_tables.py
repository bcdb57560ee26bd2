"""Arrays and tables (`.npz`, CSV/TSV/Parquet): layouts, ranges and labels read as meant; bad ones refused."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from data_formats import digit_image
from PIL import Image

from tlcore.data.spec import load_domain
from tlcore.data.uploads import read_path
from tlcore.errors import TLError


def test_npz_round_trips(tmp_path: Path) -> None:
    images = np.stack([digit_image(i) for i in range(4)])
    np.savez(tmp_path / "img.npz", X=images, y=np.array([3, 1, 3, 1]))
    domain = read_path(tmp_path / "img.npz")
    assert domain.shape == (1, 28, 28) and domain.classes == ("1", "3")
    assert domain.y.tolist() == [1, 0, 1, 0]
    torch.testing.assert_close(domain.X[:, 0], torch.as_tensor(images).float() / 255)
    np.savez(
        tmp_path / "hwc.npz",
        X=np.zeros((2, 8, 8, 3), np.float32),
        y=np.array([0, 1]),
        classes=np.array(["a", "b"]),
    )
    hwc = read_path(tmp_path / "hwc.npz")
    assert hwc.shape == (3, 8, 8) and hwc.classes == ("a", "b")
    np.savez(tmp_path / "feat.npz", X=np.linspace(-5, 5, 12).reshape(4, 3), y=np.array(["x", "y", "x", "y"]))
    feat = read_path(tmp_path / "feat.npz")
    assert feat.shape == (3,) and float(feat.X.min()) == -5.0 and feat.classes == ("x", "y")
    names = np.array(["chat", "été"])
    np.savez(
        tmp_path / "bytes.npz", X=np.ones((3, 2)), y=np.char.encode(names[[1, 0, 1]])
    )  # as HDF5 stores text
    assert read_path(tmp_path / "bytes.npz").classes == ("chat", "été")
    np.savez(tmp_path / "bnames.npz", X=np.ones((3, 2)), y=np.array([1, 0, 1]), classes=np.char.encode(names))
    assert read_path(tmp_path / "bnames.npz").classes == ("chat", "été")
    one_hot = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]  # as Keras' to_categorical writes labels
    np.savez(tmp_path / "onehot.npz", X=np.ones((4, 2)), y=one_hot, classes=np.array(["a", "b", "c"]))
    assert read_path(tmp_path / "onehot.npz").y.tolist() == [0, 2, 1, 2]
    np.savez(tmp_path / "unlabelled.npz", X=np.ones((3, 5)))
    assert read_path(tmp_path / "unlabelled.npz").y is None


def _bicubic(image: np.ndarray, size: int) -> np.ndarray:
    """A float image resized as PIL does it: bicubic overshoots at hard edges (here to 1.15 and -0.03)."""
    return np.asarray(Image.fromarray(image.astype(np.float32), mode="F").resize((size, size), Image.BICUBIC))


DIGITS = np.stack([digit_image(i) for i in range(3)])
RESAMPLED = np.stack([_bicubic(digit / 255, 40) for digit in DIGITS])


@pytest.mark.parametrize(
    ("X", "expected", "note"),
    [
        (DIGITS * 1.0, DIGITS / 255, ", scaled from 0..255"),
        (DIGITS / 250, np.minimum(DIGITS / 250, 1), ", clamped to [0, 1]"),  # max 1.02
        (RESAMPLED, np.clip(RESAMPLED, 0, 1), ", clamped to [0, 1]"),
        ((DIGITS // 255).astype(np.int64), DIGITS // 255, ""),
    ],
    ids=["float-0..255", "float-0..1-overshoot", "float-0..1-resampled", "int-0..1"],
)
def test_npz_image_values_end_in_0_1(tmp_path: Path, X: np.ndarray, expected: np.ndarray, note: str) -> None:
    np.savez(tmp_path / "img.npz", X=X)
    domain = read_path(tmp_path / "img.npz")
    torch.testing.assert_close(domain.X[:, 0], torch.as_tensor(expected, dtype=torch.float32))
    assert domain.provenance.endswith(f"X{X.shape}{note}")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"X": np.array([{"a": 1}], dtype=object)}, "object arrays"),
        ({"Y": np.ones((2, 2))}, "missing the array X"),
        ({"X": np.ones((2, 2)), "y": np.array([0, 1, 1])}, "2 samples but 3 labels"),
        (
            {"X": np.ones((2, 2)), "y": np.ones((2, 3))},
            r"y of shape \(2, 3\) must hold one class label per sample",
        ),
        ({"X": np.full((2, 2), np.nan)}, "missing or infinite"),
        ({"X": np.ones((2, 4, 5, 6))}, "neither N x D features nor images"),
        ({"X": np.full((2, 4, 4), 300.0)}, "0..255"),
        (
            {"X": np.ones((2, 2)), "y": np.array([b"\xff", b"a"])},
            "a text column holds bytes that are not UTF-8 text",
        ),
        ({"X": np.full((2, 4, 4), 1.8)}, r"from 1.8 to 1.8 are neither in \[0, 1\] nor in 0..255"),
        ({"X": np.linspace(-2.1, 2.6, 32).reshape(2, 4, 4)}, "neither in"),  # standardised: not pixels
        (
            {"X": np.ones((2, 2)), "y": np.array([0, 5]), "classes": np.array(["a", "b"])},
            "index into the 2 names",
        ),
    ],
)
def test_bad_npz_files(tmp_path: Path, arrays: dict, message: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(TLError, match=message):
        read_path(path)


def _nan_at(shape: tuple[int, ...], at: tuple[int, ...], value: float = np.nan) -> np.ndarray:
    X = np.full(shape, 0.5)
    X[at] = value
    return X


@pytest.mark.parametrize(
    ("arrays", "where"),
    [
        ({"X": _nan_at((30, 4), (17, 3))}, "1 missing or infinite value (first in X[17, 3])"),
        (
            {"X": _nan_at((30, 4), (0, 0), 1e39)},
            "1 value beyond float32's range of ±3.4e38 (first in X[0, 0]: 1e+39)",
        ),
        ({"X": _nan_at((30, 1, 4, 4), (17, 0, 2, 1))}, "1 missing or infinite value (first in X[17])"),
        (
            {"X": _nan_at((30, 4, 4, 3), (9, 1, 2, 0))},
            "1 missing or infinite value (first in X[9])",
        ),  # N x H x W x C
        (
            {"X": np.ones((30, 2)), "y": _nan_at((30,), (12,)).round()},
            "labels must be integers or names, not fractions or missing values (first: y[12] = nan)",
        ),
        (
            {"X": np.ones((30, 2)), "y": np.arange(30) % 2 + (np.arange(30) == 7) * 0.5},
            "labels must be integers or names, not fractions or missing values (first: y[7] = 1.5)",
        ),
        (
            {
                "X": np.ones((30, 2)),
                "y": (np.arange(30) % 2 + (np.arange(30) == 21) * 4)[:, None],
                "classes": np.array(["a", "b"]),
            },
            "y must index into the 2 names in classes (first: y[21] = 5)",
        ),
    ],
)
def test_npz_errors_name_the_index_numpy_gives(tmp_path: Path, arrays: dict, where: str) -> None:
    """A bad value or label of an ``.npz`` is named as numpy users index it, from 0 (``X[17, 3]``,
    ``y[12]``), not as row 18 (QA: a sensor-table user looked up the wrong sample)."""
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(TLError) as raised:
        read_path(path, label="up.npz")
    assert str(raised.value) == f"up.npz: {where}"


def test_tables(tmp_path: Path) -> None:
    frame = pd.DataFrame({"f1": [0.5, 1.5, 2.5, 3.5], "f2": [1, 2, 3, 4], "Class": ["b", "a", "b", "a"]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    csv = read_path(tmp_path / "t.csv")
    assert csv.shape == (2,) and csv.classes == ("a", "b") and csv.y.tolist() == [1, 0, 1, 0]
    torch.testing.assert_close(csv.X[:, 0], torch.tensor([0.5, 1.5, 2.5, 3.5]))
    frame.rename(columns={"Class": "kind"}).assign(target=[9, 10, 9, 10]).to_parquet(tmp_path / "t.parquet")
    parquet = read_path(tmp_path / "t.parquet", label_column="kind")
    assert parquet.classes == ("a", "b") and parquet.shape == (3,)
    frame.assign(Class=np.char.encode(["été", "a", "été", "a"])).to_parquet(tmp_path / "binary.parquet")
    assert read_path(tmp_path / "binary.parquet").classes == ("a", "été")  # a binary column, decoded
    with pytest.raises(TLError, match="non-numeric feature columns kind"):
        read_path(tmp_path / "t.parquet")  # 'target' is detected as the labels; 'kind' is text
    assert load_domain(f"{tmp_path}/t.parquet:label=kind").classes == ("a", "b")
    np.savetxt(tmp_path / "raw.csv", np.eye(3), delimiter=",")
    raw = read_path(tmp_path / "raw.csv")
    assert raw.n_samples == 3 and raw.y is None


IRIS = ("Iris-setosa", "Iris-versicolor", "Iris-virginica")


@pytest.mark.parametrize(
    ("write", "label_column", "note"),
    [
        (lambda X, y, path: pd.DataFrame(X).to_csv(path, index=False), None, ""),  # header 0,1,2
        (lambda X, y, path: pd.DataFrame(X).to_csv(path), None, "index column 'Unnamed: 0' dropped"),
        (lambda X, y, path: pd.DataFrame(X).assign(label=y).to_csv(path, index=False), None, ""),
        (lambda X, y, path: pd.DataFrame(X).assign(y=y).to_csv(path, index=False, header=False), "3", ""),
        (  # UCI's iris.data: no header, the labels its one text column
            lambda X, y, path: pd.DataFrame(X).assign(y=y).to_csv(path, index=False, header=False),
            None,
            "labels from column 4 of the file",
        ),
        (  # Excel-style: every line ends with a comma
            lambda X, y, path: pd.DataFrame(X).assign(label=y, **{"": None}).to_csv(path, index=False),
            None,
            "1 empty column dropped",
        ),
        (  # Excel in a French or German locale: semicolons and decimal commas
            lambda X, y, path: (
                pd.DataFrame(X, columns=list("abc"))
                .assign(label=y)
                .to_csv(path, index=False, sep=";", decimal=",")
            ),
            None,
            "",
        ),
        (  # semicolons and decimal points
            lambda X, y, path: (
                pd.DataFrame(X, columns=list("abc")).assign(label=y).to_csv(path, index=False, sep=";")
            ),
            None,
            "",
        ),
        (  # Excel on Windows: Windows-1252 text
            lambda X, y, path: (
                pd.DataFrame(X, columns=["poids", "taille", "été"])
                .assign(label=y)
                .to_csv(path, index=False, encoding="cp1252")
            ),
            None,
            "",
        ),
    ],
    ids=[
        "positions-header",
        "pandas-index",
        "positions-and-label",
        "headerless-text-labels",
        "headerless-text-labels-found",
        "trailing-comma",
        "semicolons-decimal-commas",
        "semicolons",
        "windows-1252",
    ],
)
def test_csv_layouts_keep_every_row(
    tmp_path: Path, write: Callable, label_column: str | None, note: str
) -> None:
    """The header is never a sample and a sample never the header: ids are the data rows."""
    X = np.random.default_rng(0).normal(size=(12, 3)).round(2)
    species = np.array(IRIS)[np.arange(12) % 3]
    write(X, species, tmp_path / "t.csv")
    domain = read_path(tmp_path / "t.csv", label_column=label_column)
    torch.testing.assert_close(domain.X, torch.as_tensor(X, dtype=torch.float32))
    if domain.y is not None:
        assert domain.classes == IRIS and domain.y.tolist() == [i % 3 for i in range(12)]
    assert note in domain.provenance


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"a,b\n1,2\n1,2,3,4\n", "not a well-formed table"),
        (
            b"a,b\n1,2\n1,\n",
            r"1 cell is missing, infinite or not a number: empty \(or a missing-value marker such as n/a\) "
            r"in column 'b' on line 3 of the file; fix it in the file, or drop its row: read the table with "
            r"the spec option missing=drop",
        ),
        (
            b"a,b\n1,2\n1,-1e300\n",
            r"1 value beyond float32's range of ±3.4e38 \(first in line 3 of the file, column 'b': "
            r"-1e\+300\)",
        ),
        (b"a,b\nx,1\n", "non-numeric feature columns a"),
        (  # the first three named, the rest counted (tlcore.numbers.first_named), not left unsaid
            b"label,a,b,c,d,e\nx,p,q,r,s,t\ny,p,q,r,s,t\n",
            r"non-numeric feature columns a, b, c and 2 more \(only the label column, label, may hold text: "
            r"drop them, or encode them as a 0/1 column per value: the spec option text=onehot\)",
        ),
        (b"label\ncat\n", "no feature columns"),
        (b"p0,p1,p0,label\n1,2,3,a\n4,5,6,b\n", "the header names column 'p0' more than once"),
    ],
)
def test_bad_tables(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.csv").write_bytes(content)
    with warnings.catch_warnings(), pytest.raises(TLError, match=message):
        warnings.simplefilter("error")  # the refusal is the one line: no warning printed before it
        read_path(tmp_path / "bad.csv")


def test_a_label_column_not_found_names_the_first_eight_columns_and_counts_the_rest(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(10))
    (tmp_path / "wide.csv").write_text(f"{header}\n{','.join(['1'] * 10)}\n{','.join(['2'] * 10)}\n")
    with pytest.raises(TLError) as refused:
        read_path(tmp_path / "wide.csv", label_column="kind")
    assert str(refused.value).endswith(
        "has no column 'kind' (columns: c0, c1, c2, c3, c4, c5, c6, c7 and 2 more); a table without labels "
        "(an unlabelled target): read it with label=none"
    )


def test_an_id_column_names_the_samples_and_is_no_feature(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"ID": [1001, 1002, 1003], "f1": [0.5, 1.5, 2.5], "f2": [1, 2, 3], "label": list("aba")}
    )
    frame.to_csv(tmp_path / "numbered.csv", index=False)
    numbered = read_path(tmp_path / "numbered.csv")
    assert numbered.ids == ("1001", "1002", "1003") and numbered.meta["columns"] == ("f1", "f2")
    torch.testing.assert_close(numbered.X, torch.tensor([[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]]))
    assert "sample ids from column 'ID'" in numbered.provenance
    frame.assign(ID=["scan_1.png", "scan_2.png", "scan_3.png"]).rename(columns={"ID": "filename"}).to_parquet(
        tmp_path / "files.parquet"
    )
    assert read_path(tmp_path / "files.parquet").ids == ("scan_1.png", "scan_2.png", "scan_3.png")
    frame.assign(ID=[1001.0, None, 1003.0]).to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(TLError, match=r"column 'ID' \(the sample ids\) is empty on line 3 of the file"):
        read_path(tmp_path / "gap.csv")
    frame.assign(ID=[7, 8, 7]).to_csv(tmp_path / "twice.csv", index=False)
    with pytest.raises(TLError, match="column 'ID' repeats the sample id '7'; sample ids must be unique"):
        read_path(tmp_path / "twice.csv")


@pytest.mark.parametrize("name", ["customer_id", "Order ID", "CustomerID", "CUSTOMER-ID"])
def test_a_column_named_as_an_identifier_with_unique_values_names_the_samples(
    tmp_path: Path, name: str
) -> None:
    """QA helper-218: a text ``customer_id`` of 400 values was refused as too many text values, and a
    numeric one would have been learned from; named as an identifier and unique, it is the sample ids."""
    frame = pd.DataFrame({name: ["C7", "C9", "C8"], "f1": [0.5, 1.5, 2.5], "label": list("aba")})
    frame.to_csv(tmp_path / "customers.csv", index=False)
    domain = read_path(tmp_path / "customers.csv")
    assert domain.ids == ("C7", "C9", "C8") and domain.meta["columns"] == ("f1",)
    assert f"sample ids from column {name!r}" in domain.provenance


def test_an_identifier_that_repeats_or_an_exact_id_column_keeps_it_a_feature(tmp_path: Path) -> None:
    """A ``store_id`` that repeats is a category (a feature); ``paid`` only ends in "id"; beside an
    ``id`` column, the exact name holds the ids and ``customer_id`` stays a feature."""
    frame = pd.DataFrame(
        {"store_id": [3, 3, 4], "paid": [1, 2, 3], "f1": [0.5, 1.5, 2.5], "label": list("aba")}
    )
    frame.to_csv(tmp_path / "stores.csv", index=False)
    stores = read_path(tmp_path / "stores.csv")
    assert stores.ids == ("0", "1", "2") and stores.meta["columns"] == ("store_id", "paid", "f1")
    frame.assign(id=[10, 11, 12], customer_id=[5, 6, 7]).to_csv(tmp_path / "both.csv", index=False)
    both = read_path(tmp_path / "both.csv")
    assert both.ids == ("10", "11", "12") and "customer_id" in both.meta["columns"]
