"""``data drop-copies``: the target less its copies of source samples (exact and near), stored as a new
upload whose kept samples keep their ids; refused in one line, nothing written, where there is nothing
to drop or no copy to drop by content."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.data.data_formats import copied_digit_zips, write_zip
from tlcore.adapt.drop_copies import proposed_name
from tlcore.cli import main
from tlcore.data import load_domain
from tlcore.workspace import Workspace


def run(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def digit_pair(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """:func:`copied_digit_zips` of MNIST digits: 20 of the target's 30 images copy source images, and 2
    of the 10 others are of a class the source lacks (a pair's counts leave them out: 20 of 28)."""
    return copied_digit_zips(tmp_path, *mnist_digits())


def mnist_digits() -> tuple[np.ndarray, list[int]]:
    mnist = load_domain("mnist5k")
    return (mnist.X[:, 0] * 255).round().to(torch.uint8).numpy(), mnist.y.tolist()


def test_drop_copies_keeps_the_zips_other_images_under_their_own_names(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], digit_pair: tuple[Path, Path, list[str]]
) -> None:
    """The copies dropped, the other images kept; the line counts the file's 30 images, naming the 2
    the shared-samples line's 28 leaves out (it read "30" beside "28" unexplained)."""
    source, target, others = digit_pair
    code, out, err = run(
        workspace, capsys, "data", "drop-copies", "--source", str(source), "--target", str(target)
    )
    assert code == 0, err
    assert out.replace("\n", " ").strip() == (
        "stored as upload:again-no-copies.zip: 10 of the target's 30 samples kept (2 of them in classes the "
        "source lacks), 20 dropped as copies of source samples (10 exact, 10 near copies: re-encoded, "
        "resized or shifted)"  # one level of brackets
    )
    stored = workspace.uploads / "again-no-copies.zip"
    with zipfile.ZipFile(stored) as kept, zipfile.ZipFile(target) as whole:
        assert sorted(kept.namelist()) == sorted(others)
        assert all(kept.read(name) == whole.read(name) for name in others)  # byte for byte
    assert sorted(load_domain("upload:again-no-copies.zip", workspace).ids) == sorted(others)
    for target_spec, found in ((str(target), (20, 28)), ("upload:again-no-copies.zip", None)):
        pair = ("--source", str(source), "--target", target_spec)
        code, out, err = run(workspace, capsys, "diagnose", *pair, "--no-umap", "--no-explain", "--json")
        shared = json.loads(out)["shared_samples"]
        assert code == 0 and (shared and (shared["shared"], shared["n_target"])) == found, err
    code, out, _ = run(
        workspace, capsys, "data", "drop-copies", "--source", str(source), "--target", str(target), "--json"
    )
    assert code == 0 and json.loads(out) | {"text": ""} == {  # the first name taken: the next one
        "name": "again-no-copies-2.zip",
        "spec": "upload:again-no-copies-2.zip",
        "kept": 10,
        "dropped": 20,
        "near_copies": 10,
        "other_classes": 2,
        "text": "",
    }


@pytest.mark.parametrize(
    "case",
    [
        (("field.zip", "copy.zip"), None, "all 30 of "),
        (("field.zip", "digits:n=40"), None, "digits:n=40 is a built-in data set"),
        (("mnist5k:n=300", "mnist5k:n=100"), None, "their shared samples found by id"),
        (("field.zip", "again.zip"), "taken", "upload:taken.zip exists already"),
        (("field.zip", "again.zip"), "again.csv", "the target is a .zip file"),
        (
            ("field.zip", "again.zip"),
            "again.png",
            "again.png: the target is a .zip file; name its copy again.zip",
        ),
        (("field.zip", "again.zip"), "../again", "../again: a name with a folder; give the copy a file name"),
        (("field.zip", "again.zip"), "sub/again.zip", "sub/again.zip: a name with a folder"),
        (("field.zip", "others.zip"), None, "shares no samples with"),
        (
            ("field.zip", "shots/"),
            "shots.zip",
            "shots is a folder: its copies are dropped from a stored file",
        ),
    ],
)
def test_drop_copies_refuses_in_one_line_writing_nothing(
    workspace: Workspace,
    capsys: pytest.CaptureFixture[str],
    digit_pair: tuple[Path, Path, list[str]],
    case: tuple[tuple[str, str], str | None, str],
) -> None:
    pair, name, says = case
    folder = digit_pair[0].parent
    with zipfile.ZipFile(digit_pair[1]) as whole:
        write_zip(folder / "others.zip", {n: whole.read(n) for n in digit_pair[2]})
    (folder / "copy.zip").write_bytes(digit_pair[0].read_bytes())
    (folder / "shots").mkdir()
    (workspace.uploads / "taken.zip").write_bytes(b"")
    before = sorted(p.name for p in workspace.uploads.iterdir())
    specs = [str(folder / s) if s.endswith((".zip", "/")) else s for s in pair]
    named = ["--name", name] if name else []
    code, out, err = run(
        workspace, capsys, "data", "drop-copies", "--source", specs[0], "--target", specs[1], *named
    )
    assert code != 0 and not out
    assert len(err.strip().splitlines()) == 1 and says in err, err
    assert sorted(p.name for p in workspace.uploads.iterdir()) == before


@pytest.mark.parametrize("folder", ["tmp", "~"])
def test_drop_copies_keeps_an_npzs_other_rows(
    tmp_path: Path,
    workspace: Workspace,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    folder: str,
) -> None:
    """An ``.npz`` of feature rows repeating 5 source rows among 10 new ones: the new rows kept, in order;
    files named under ``~`` are read as loading reads them (the drop read the path unexpanded: a
    traceback)."""
    rng = np.random.default_rng(0)
    source = rng.normal(size=(40, 3)).astype(np.float32)
    new = rng.normal(size=(10, 3)).astype(np.float32) + 5
    target = np.concatenate([new[:4], source[[2, 9, 11, 20, 33]], new[4:]])
    np.savez(tmp_path / "field.npz", X=source, y=np.arange(40) % 2)
    np.savez(tmp_path / "again.npz", X=target, y=np.arange(15) % 2)
    monkeypatch.setenv("HOME", str(tmp_path))
    named = str(tmp_path) if folder == "tmp" else "~"
    pair = ("--source", f"{named}/field.npz", "--target", f"{named}/again.npz")
    code, out, err = run(workspace, capsys, "data", "drop-copies", *pair, "--json")
    assert code == 0, err
    assert (json.loads(out)["kept"], json.loads(out)["dropped"]) == (10, 5)
    with np.load(workspace.uploads / "again-no-copies.npz") as kept:
        assert np.array_equal(kept["X"], new)
        assert kept["y"].tolist() == [0, 1, 0, 1, 1, 0, 1, 0, 1, 0]  # rows 0-3 and 9-14 of the target


@pytest.mark.parametrize("name", ["", "  "])
def test_drop_copies_given_a_blank_name_proposes_one(
    tmp_path: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """``--name ''`` (a script's empty variable) stores under the proposed name, as the app's empty field
    does, not as ``upload.npz``."""
    rows = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.savez(tmp_path / "field.npz", X=rows, y=np.arange(6) % 2)
    np.savez(tmp_path / "again.npz", X=rows[[1, 3, 5, 0]] + [[0, 0], [0, 0], [50, 50], [60, 60]])
    pair = ("--source", str(tmp_path / "field.npz"), "--target", str(tmp_path / "again.npz"))
    code, out, err = run(workspace, capsys, "data", "drop-copies", *pair, "--name", name, "--json")
    assert code == 0, err
    assert (json.loads(out)["name"], json.loads(out)["dropped"]) == ("again-no-copies.npz", 2)


def test_proposed_name_keeps_its_tail_for_a_long_target(workspace: Workspace) -> None:
    """A target whose stem fills a stored name's length: its stem is cut, not the tail, so each attempt
    gives another name (the tail cut off, every attempt read the same taken name)."""
    target = f"upload:{'a' * 90}.zip"
    first = proposed_name(workspace, target)
    assert first == f"{'a' * 64}-no-copies.zip"  # room for the longest numbered tail, -no-copies-10000
    (workspace.uploads / first).write_bytes(b"")
    assert proposed_name(workspace, target) == f"{'a' * 64}-no-copies-2.zip"
