"""A zip upload's samples come in a folder's order, sorted by name, whatever order the archive's entries
were written in (another tool, another OS): the same images give the same split. An upload stored before
that order was recorded keeps the entry order it was read in, and so its split."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from data_formats import digit_image, png_bytes, write_zip

from tlcore.data import load_domain, read_path, save_upload, train_test_split
from tlcore.data.catalog import list_uploads, write_upload_summary
from tlcore.data.domain import Domain
from tlcore.data.upload_order import upload_order
from tlcore.workspace import Workspace

# nested (cat/sub/...) and names whose sort differs from their zip order; 7 + 5 images of two classes
NAMES = [f"cat/c{i:02d}.png" for i in (9, 2, 5, 11, 0)] + ["cat/sub/a.png", "cat/zz.png"]
NAMES += [f"dog/d{i}.png" for i in (4, 1, 3, 0, 2)]
BY_NAME = [
    "cat/c00.png",
    "cat/c02.png",
    "cat/c05.png",
    "cat/c09.png",
    "cat/c11.png",
    "cat/zz.png",
    "cat/sub/a.png",
] + [f"dog/d{i}.png" for i in range(5)]  # a folder's order: each folder's files, then its subfolders


def _zip(path: Path, names: list[str]) -> Path:
    """The same 12 images (image k: a square of side 4 + k) with their entries in ``names``' order."""
    return write_zip(path, {name: png_bytes(digit_image(NAMES.index(name))) for name in names})


def _split_ids(domain: Domain) -> tuple[tuple[str, ...], tuple[str, ...]]:
    train, test = train_test_split(domain, seed=3)
    return train.ids, test.ids


def test_two_zips_of_the_same_images_in_other_entry_orders_give_one_domain_and_split(
    workspace: Workspace, tmp_path: Path
) -> None:
    entries = _zip(tmp_path / "a.zip", NAMES)
    backwards = _zip(tmp_path / "b.zip", NAMES[::-1])
    one, other = (
        load_domain(f"upload:{save_upload(workspace, p.name, p.read_bytes())}", workspace)
        for p in (entries, backwards)
    )
    assert one.ids == other.ids == tuple(BY_NAME)
    assert torch.equal(one.X, other.X) and torch.equal(one.y, other.y)
    assert one.y.tolist() == [0] * 7 + [1] * 5
    assert [int(one.X[i, 0, 4].sum()) for i in range(3)] == [4 + NAMES.index(n) for n in BY_NAME[:3]]
    assert _split_ids(one) == _split_ids(other)
    assert upload_order(workspace, "a.zip") == upload_order(workspace, "b.zip") == "name"
    (workspace.root / "cache" / "uploads" / "a.zip.json").unlink()  # a cleared cache moves no split
    again = load_domain("upload:a.zip", workspace)
    assert again.ids == one.ids and _split_ids(again) == _split_ids(one)


def test_a_zip_upload_reads_as_its_folder_does(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "pets"
    for k, name in enumerate(NAMES):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png_bytes(digit_image(k)))
    zipped = _zip(tmp_path / "pets.zip", NAMES[::-1])
    uploaded = load_domain(f"upload:{save_upload(workspace, 'pets.zip', zipped.read_bytes())}", workspace)
    assert uploaded.ids == read_path(folder).ids == tuple(BY_NAME)
    assert read_path(zipped).ids == tuple(NAMES[::-1])  # a zip read by its path: its entry order, as before


def test_an_upload_stored_before_the_order_was_recorded_keeps_its_entry_order_and_split(
    workspace: Workspace, tmp_path: Path
) -> None:
    old = _zip(tmp_path / "old.zip", NAMES)
    before = _split_ids(read_path(old))  # as the old code read it: in entry order
    assert before[1] != _split_ids(read_path(old, by_name=True))[1]  # the orders split it differently
    shutil.copy(old, workspace.uploads / "old.zip")  # stored by the old code: no order recorded
    write_upload_summary(workspace, "old.zip", {"name": "upload:old.zip", "n_samples": 12})  # its summary
    domain = load_domain("upload:old.zip", workspace)
    assert domain.ids == tuple(NAMES) and _split_ids(domain) == before
    assert save_upload(workspace, "old.zip", old.read_bytes()) == "old.zip"  # the same file uploaded again
    assert upload_order(workspace, "old.zip") is None
    assert _split_ids(load_domain("upload:old.zip", workspace)) == before
    save_upload(workspace, "new.zip", old.read_bytes())
    assert [u["name"] for u in list_uploads(workspace)] == ["new.zip", "old.zip"]  # the record is not listed
    assert load_domain("upload:new.zip", workspace).ids == tuple(BY_NAME)


def test_a_table_upload_records_no_order(workspace: Workspace) -> None:
    name = save_upload(workspace, "rows.csv", b"a,b,label\n3,1,x\n1,2,y\n2,0,x\n0,1,y\n")
    assert upload_order(workspace, name) is None
    assert load_domain(f"upload:{name}", workspace).X[:, 0].tolist() == [
        3.0,
        1.0,
        2.0,
        0.0,
    ]  # the file's row order
