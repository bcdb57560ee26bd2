"""harmonise: one sample shape, the source's classes, unknown target classes reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from data_formats import digit_image, png_bytes, write_zip

from tlcore.data.domain import Domain
from tlcore.data.harmonise import PairReport, harmonise
from tlcore.data.uploads import read_path
from tlcore.errors import TLError


def images(
    name: str,
    shape: tuple[int, int, int, int],
    classes: tuple[str, ...] = (),
    labels: list[int] | None = None,
) -> Domain:
    """Random images of ``shape`` (N x C x H x W)."""
    X = torch.rand(*shape, generator=torch.Generator().manual_seed(shape[0]))
    y = None if labels is None else torch.tensor(labels)
    return Domain(name, X, y, classes)


def test_shapes_follow_the_source_and_colour_wins(digits_small: Domain) -> None:
    target = images("svhn-like", (6, 3, 32, 32), tuple("0123456789"), [0, 1, 2, 3, 4, 5])
    source, shifted = harmonise(digits_small, target)
    assert source.shape == (3, 28, 28) and shifted.shape == (3, 28, 28)
    torch.testing.assert_close(source.X[:, 1], digits_small.X[:, 0])  # gray repeated, not altered
    report: PairReport = shifted.meta["pair_report"]
    assert report.source_channels == (1, 3) and report.target_channels is None
    assert report.target_resized == ((32, 32), (28, 28))
    assert shifted.y.tolist() == [0, 1, 2, 3, 4, 5]
    assert report.missing_classes == ("6", "7", "8", "9")
    assert "target: resized from 32x32 to 28x28" in report.lines()


def test_gray_target_of_a_colour_source_is_repeated() -> None:
    source = images("rgb", (4, 3, 16, 16), ("a", "b"), [0, 1, 0, 1])
    target = images("gray", (4, 1, 16, 16), ("a", "b"), [1, 1, 0, 0])
    new_source, new_target = harmonise(source, target)
    assert new_source.X is source.X
    assert new_target.shape == (3, 16, 16)
    torch.testing.assert_close(new_target.X[:, 2], target.X[:, 0])


def test_classes_are_matched_by_name_and_unknown_ones_reported() -> None:
    source = images("src", (6, 1, 8, 8), ("cat", "dog", "bird"), [0, 1, 2, 0, 1, 2])
    target = images("tgt", (7, 1, 8, 8), (" Dog", "fish", "cat"), [0, 1, 2, 1, 0, 2, 1])
    _, matched = harmonise(source, target)
    assert matched.classes == ("cat", "dog", "bird")
    assert matched.y.tolist() == [1, 0, 1, 0]  # " Dog" -> dog, cat -> cat; fish samples dropped
    torch.testing.assert_close(matched.X, target.X[[0, 2, 4, 5]])
    report = matched.meta["pair_report"]
    assert matched.meta["unknown_classes"] == {"fish": 3} == report.unknown_classes
    assert report.n_dropped == 3 and report.class_map == {" Dog": "dog"}
    assert report.missing_classes == ("bird",)
    assert any("3 samples dropped: fish (3)" in line for line in report.lines())


def test_a_class_folder_matches_a_source_class_whose_name_a_folder_cannot_hold(tmp_path: Path) -> None:
    """QA: Fashion-MNIST's "T-shirt/top" cannot be a zip folder; an upload's "T-shirt-top" read as a
    new class (its samples dropped) and "T-shirt/top" as missing."""
    members = {
        f"upload/{folder}/{i}.png": png_bytes(digit_image(i))
        for folder, n in (("T-shirt-top", 3), ("trouser", 2), ("a_b", 1))
        for i in range(n)
    }
    target = read_path(write_zip(tmp_path / "fashion.zip", members))
    classes = ("T-shirt/top", "Trouser", "Pullover", "a/b", "a:b")  # a_b would name two: not matched
    source = images("fashion", (5, 1, 28, 28), classes, [0, 1, 2, 3, 4])
    _, matched = harmonise(source, target)
    assert matched.y.tolist() == [0, 0, 0, 1, 1]
    report = matched.meta["pair_report"]
    assert report.unknown_classes == {"a_b": 1} and report.missing_classes == ("Pullover", "a/b", "a:b")
    assert report.lines()[:2] == [
        "target class 'T-shirt-top' read as source class 'T-shirt/top'",
        "target class 'trouser' read as source class 'Trouser'",
    ]


@pytest.mark.parametrize(
    "folder", ["T-shirt\u2215top", "T-shirt\u2044top", "T-shirt\uff0ftop", "t-shirt \u29f8 top"]
)
def test_a_folder_named_with_a_look_alike_slash_matches(folder: str) -> None:
    """QA: a folder named "T-shirt" U+2215 "top" (a slash a file name can hold) read as a new class."""
    source = images("fashion", (4, 1, 8, 8), ("T-shirt/top", "Trouser"), [0, 1, 0, 1])
    target = images("upload", (3, 1, 8, 8), (folder, "Trouser"), [0, 1, 0])
    _, matched = harmonise(source, target)
    assert matched.y.tolist() == [0, 1, 0]
    assert matched.meta["pair_report"].class_map == {folder: "T-shirt/top"}


def test_unlabelled_target_takes_the_source_classes(digits_small: Domain) -> None:
    target = images("scans", (5, 1, 20, 20), (), None)
    _, paired = harmonise(digits_small, target)
    assert paired.y is None and paired.classes == digits_small.classes and paired.shape == (1, 28, 28)
    assert paired.meta["unknown_classes"] == {}


def test_incompatible_pairs_are_user_errors(digits_small: Domain) -> None:
    features = Domain("f", torch.rand(4, 5), None, ())
    with pytest.raises(TLError, match="cannot pair images with feature vectors"):
        harmonise(digits_small, features)
    with pytest.raises(TLError, match="feature dimensions differ"):
        harmonise(features, Domain("g", torch.rand(4, 6), None, ()))
    strangers = images("t", (3, 1, 28, 28), ("x", "y"), [0, 1, 1])
    with pytest.raises(TLError, match="no class of t matches the classes of the source"):
        harmonise(digits_small, strangers)
    with pytest.raises(TLError, match="1 or 3 channels"):
        harmonise(digits_small, images("four", (2, 4, 28, 28), (), None))


def table(name: str, columns: tuple[str, ...] | None, X: torch.Tensor) -> Domain:
    """Feature rows whose columns carry the names a table's header gave them (``None``: no header)."""
    meta = {} if columns is None else {"columns": columns}
    return Domain(name, X, torch.tensor([0, 1, 0, 1]), ("a", "b"), meta=meta)


def test_table_columns_are_matched_by_name_when_both_sides_name_them() -> None:
    X = torch.arange(12.0).reshape(4, 3)  # columns f1, f2, f3 hold 0, 1, 2 (+3 per row)
    source = table("last year", ("f1", "f2", "f3"), X)
    extra = torch.full((4, 1), -1.0)
    target = table("this year", ("f3", "id", "f1", "f2"), torch.cat([X[:, 2:], extra, X[:, :2]], 1))
    _, matched = harmonise(source, target)
    torch.testing.assert_close(matched.X, X)  # back in the source's order, the id column left out
    assert matched.meta["columns"] == ("f1", "f2", "f3")
    assert matched.meta["pair_report"].lines() == [
        "target: feature columns taken by name, in the source's order",
        "target columns unknown to the source ignored: id",
    ]
    between = table("between", ("f1", "id", "f2", "f3"), torch.cat([X[:, :1], extra, X[:, 1:]], 1))
    _, kept_order = harmonise(source, between)
    torch.testing.assert_close(kept_order.X, X)
    assert kept_order.meta["pair_report"].lines() == [  # f1, f2, f3 in order: an extra column is no reorder
        "target columns unknown to the source ignored: id"
    ]
    by_position = table("renamed", ("x", "y", "z"), X + 100)
    _, taken = harmonise(source, by_position)
    torch.testing.assert_close(taken.X, X + 100)
    assert taken.meta["pair_report"].lines() == [
        "target: no feature column name in common with the source; columns taken in order"
    ]
    for unnamed in (table("no header", None, X + 7), table("same", ("f1", "f2", "f3"), X + 7)):
        _, kept = harmonise(source, unnamed)
        torch.testing.assert_close(kept.X, X + 7)
        assert kept.meta["pair_report"].lines() == []
    with pytest.raises(TLError, match=r"^short lacks feature columns of the source last year: f3 \(col"):
        harmonise(source, table("short", ("f2", "f1"), X[:, :2]))


def test_a_header_that_differs_by_a_space_or_case_is_named_beside_the_missing_column() -> None:
    """QA helper-142: 'Temp (°C) ' in the data, with a trailing space, read as a missing 'Temp (°C)'."""
    X = torch.arange(16.0).reshape(4, 4)
    source = table("last year", ("Temp (°C)", "Flow", "vib rms", "ch04"), X)
    near = table("this year", ("Temp (°C) ", "flow", "vib  rms", "ch04"), X)
    with pytest.raises(TLError) as refused:
        harmonise(source, near)
    assert str(refused.value) == (
        "this year lacks feature columns of the source last year: Temp (°C) (the data has 'Temp (°C) ': a "
        "trailing space), Flow (the data has 'flow': other case), vib rms (the data has 'vib  rms': other "
        "spacing) (columns match by name)"
    )


def test_a_renamed_column_is_named_beside_the_one_the_target_lacks() -> None:
    """QA helper-195: an export whose `price` became `price_eur` upstream read as lacking `price` only; the
    column it has instead (unknown to the source, else silently ignored) is named with the way out."""
    X = torch.arange(12.0).reshape(4, 3)
    source = table("last year", ("price", "ratio", "visits"), X)
    renamed = table("this year", ("visits", "price_eur", "ratio"), X)
    with pytest.raises(TLError) as refused:
        harmonise(source, renamed)
    assert str(refused.value) == (
        "this year lacks feature columns of the source last year: price (columns match by name; it has "
        "price_eur, which the source last year does not name: a column renamed upstream takes back its old "
        "name in the file)"
    )


def test_tables_of_other_widths_and_no_column_in_common_name_the_columns() -> None:
    """Two named tables with nothing in common and other widths (another dataset altogether): the
    error names what the target lacks and has, as a missing column's does."""
    source = table("last year", ("f1", "f2", "f3"), torch.arange(12.0).reshape(4, 3))
    wine = table("wine", ("alcohol", "ash"), torch.ones(4, 2))
    with pytest.raises(TLError) as caught:
        harmonise(source, wine)
    assert str(caught.value) == (
        "feature dimensions differ: the source last year has 3, wine 2; it lacks f1, f2, f3 and has "
        "alcohol, ash instead (columns match by name)"
    )
    unnamed = Domain("g", torch.rand(4, 2), None, ())  # no names to list: the widths only
    with pytest.raises(TLError, match=r"^feature dimensions differ: the source last year has 3, g 2$"):
        harmonise(source, unnamed)


def test_no_matching_class_counts_the_source_classes_it_does_not_name() -> None:
    """QA: a 60-class source's error listed its first 10 classes as if they were all of them."""
    source = images("s", (60, 1, 8, 8), tuple(f"class_{i:02d}" for i in range(60)), list(range(60)))
    strangers = images("t", (3, 1, 8, 8), ("x", "y"), [0, 1, 1])
    with pytest.raises(TLError, match=r"\(class_00, .*, class_09 and 50 more\); rename its classes"):
        harmonise(source, strangers)
    few = images("s", (3, 1, 8, 8), ("a", "b", "c"), [0, 1, 2])
    with pytest.raises(TLError, match=r"the classes of the source s \(a, b, c\); rename"):
        harmonise(few, strangers)
