"""One spec parser: examples, round trips, one-line errors; load_domain and list_domains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from data_formats import digit_image, png_bytes, write_mnist_like, write_zip

from tlcore.data.catalog import list_domains
from tlcore.data.domain import Domain
from tlcore.data.harmonise import harmonise
from tlcore.data.spec import check_present, load_domain, spec_labelled, workspace_files
from tlcore.data.spec_text import DomainSpec, anchored, parse_spec
from tlcore.data.uploads import save_upload
from tlcore.errors import TLError
from tlcore.workspace import Workspace

EXAMPLES = {
    "mnist5k": DomainSpec("builtin", "mnist5k"),
    "Digits:n=100": DomainSpec("builtin", "digits", n=100),
    "fashion:rotate=30,noise=0.2": DomainSpec(
        "builtin", "fashion", shifts=(("rotate", 30.0), ("noise", 0.2))
    ),
    "fashion:split=test,color=1": DomainSpec("builtin", "fashion", split="test", shifts=(("colour", 1.0),)),
    "usps@~/datasets": DomainSpec("torchvision", "usps", root="~/datasets"),
    "svhn@/data:split=extra,download=1": DomainSpec(
        "torchvision", "svhn", root="/data", split="extra", download=True
    ),
    "./scans.zip": DomainSpec("file", "./scans.zip"),
    "table.csv:label=kind,n=5": DomainSpec("file", "table.csv", n=5, label="kind"),
    "/tmp/a:b/x.npz:invert=1": DomainSpec("file", "/tmp/a:b/x.npz", shifts=(("invert", 1.0),)),
    "upload:scans.zip:occlusion=0.25": DomainSpec("upload", "scans.zip", shifts=(("occlusion", 0.25),)),
}

ERRORS = {
    "": "empty",
    "mnist6k": "unknown domain 'mnist6k'; known: mnist5k, digits, fashion, mnist, usps",
    "mnist5k:": "nothing after",
    "mnist5k:rotate": "expected key=value",
    "mnist5k:rotate=abc": "must be a number",
    "mnist5k:rotate=1,rotate=2": "given twice",
    "mnist5k:twist=1": "unknown option 'twist'",
    "mnist5k:rotate=inf": "out of range",
    "mnist5k:occlusion=0.95": "out of range",
    "mnist5k@/tmp": "takes no @folder",
    "usps@": "no folder after",
    "mnist5k:split=test": "choose from all",
    "usps:split=extra": "choose from train, test, all",
    "mnist5k:download=1": "torchvision datasets only",
    "usps:download=maybe": "use 1 or 0",
    "mnist5k:n=0": "positive whole number",
    "mnist5k:n=1.5": "positive whole number",
    "mnist5k:label=y": "label= applies to files only",
    "x.zip:split=train": "files have no splits",
    "upload:": "no upload name",
    "upload:x.zip:": "nothing after",
    # QA: "split=train:n=2000: choose from all, train, test"
    "fashion:split=train:n=2000": "separated by commas, not ':'; write fashion:split=train,n=2000",
    "upload:a.zip:label=none:n=20": "not ':'; write upload:a.zip:label=none,n=20",
    "./t.csv:label=y: n=20:rotate=5": "not ':'; write ./t.csv:label=y, n=20,rotate=5",
}


@pytest.mark.parametrize("text", list(EXAMPLES))
def test_examples_parse_and_round_trip(text: str) -> None:
    spec = parse_spec(text)
    assert spec == EXAMPLES[text]
    assert parse_spec(str(spec)) == spec


def test_canonical_text() -> None:
    assert str(parse_spec(" fashion:noise=0.20,split=test ")) == "fashion:split=test,noise=0.2"


@pytest.mark.parametrize("text", list(ERRORS))
def test_bad_specs_are_one_line_errors(text: str) -> None:
    with pytest.raises(TLError) as info:
        parse_spec(text)
    message = str(info.value)
    assert ERRORS[text] in message
    assert "\n" not in message


def test_anchored_makes_paths_and_folders_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert anchored("./scans.zip:n=50,rotate=10") == f"{tmp_path / 'scans.zip'}:n=50,rotate=10"
    assert anchored("data/feats.npz") == str(tmp_path / "data" / "feats.npz")
    assert anchored("~/feats.npz") == str(tmp_path / "home" / "feats.npz")
    assert anchored("usps@./datasets:split=test") == f"usps@{tmp_path / 'datasets'}:split=test"
    assert anchored("/already/absolute.npz") == "/already/absolute.npz"
    for text in ("digits:n=100", "upload:scans.zip:colour=1", "fashion:rotate=30,noise=0.2"):
        assert anchored(text) == text  # canonical, nothing on disk to anchor: as given
    assert anchored("Digits:rotate=30.0,n=100") == "digits:n=100,rotate=30"  # another spelling, one text
    assert anchored("./a.npz:rotate=30,n=5") == f"{tmp_path / 'a.npz'}:n=5,rotate=30"
    with pytest.raises(TLError, match="unknown domain 'digtis'"):
        anchored("digtis")


def test_check_present_says_what_loading_would(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "feats.npz"
    np.savez(path, X=np.zeros((4, 3), dtype=np.float32), y=np.array([0, 1, 1, 0]))
    write_mnist_like(tmp_path / "sets", "KMNIST")
    present = (str(path), f"{path}:n=2", str(tmp_path), "mnist5k:n=10", f"kmnist@{tmp_path / 'sets'}:n=3")
    for text in (*present, "usps@/nowhere:download=1"):
        check_present(text, workspace)  # there, shipped with the packages, or to be downloaded
    for text in ("usps@/nowhere:split=test", f"mnist@{tmp_path / 'sets'}"):
        with pytest.raises(TLError) as from_loading:
            load_domain(text, workspace)
        with pytest.raises(TLError) as before:
            check_present(text, workspace)
        assert str(before.value) == str(from_loading.value)
        assert "files not found" in str(before.value)
    missing = str(tmp_path / "missing.npz")
    with pytest.raises(TLError) as from_loading:
        load_domain(missing, workspace)
    with pytest.raises(TLError) as before:
        check_present(f"{missing}:n=2", workspace)
    assert str(before.value) == str(from_loading.value) == f"no such file or folder: {missing}"
    with pytest.raises(TLError, match=r"no upload named 'scans.zip' in .* \(available: none yet\)"):
        check_present("upload:scans.zip:colour=1", workspace)
    save_upload(workspace, "scans.npz", path.read_bytes())
    check_present("upload:scans.npz", workspace)


def test_workspace_files_are_what_loading_reads_inside_the_workspace(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TLSTUDIO_DATA", raising=False)
    path = tmp_path / "feats.npz"
    np.savez(path, X=np.zeros((4, 3), dtype=np.float32), y=np.array([0, 1, 1, 0]))
    save_upload(workspace, "scans.npz", path.read_bytes())
    assert workspace_files("upload:scans.npz:n=2", workspace) == [workspace.inside("uploads", "scans.npz")]
    zipped = write_zip(tmp_path / "pets.zip", {f"{c}/{c}.png": png_bytes(digit_image(1)) for c in "ab"})
    save_upload(workspace, "pets.zip", zipped.read_bytes())  # read sorted by name, as its record says
    assert workspace_files("upload:pets.zip", workspace) == [
        workspace.inside("uploads", name) for name in ("pets.zip", ".order/pets.zip")
    ]
    write_mnist_like(workspace.inside("datasets"), "KMNIST")
    raw = workspace.inside("datasets", "KMNIST", "raw")
    read = [
        raw / f"{part}-{kind}-idx{d}-ubyte"
        for part in ("train", "t10k")
        for kind, d in (("images", 3), ("labels", 1))
    ]
    assert workspace_files("kmnist:split=test", workspace) == read  # torchvision checks all four
    assert workspace_files("usps:download=1", workspace) == []  # not there (yet)
    assert workspace_files(f"kmnist@{workspace.inside('datasets')}", workspace) == []  # read where it runs
    write_mnist_like(tmp_path / "sets", "KMNIST")
    monkeypatch.setenv("TLSTUDIO_DATA", str(tmp_path / "sets"))
    for text in (
        str(path),
        "mnist5k",
        "fashion:n=5",
        f"kmnist@{tmp_path / 'sets'}",
        "kmnist",
    ):
        assert workspace_files(text, workspace) == []  # elsewhere, or shipped with the packages
    with pytest.raises(TLError, match=r"no upload named 'other\.npz'"):
        workspace_files("upload:other.npz", workspace)


def test_load_subsample_and_shift_with_seed(mnist5k: Domain, workspace: Workspace) -> None:
    a = load_domain("mnist5k:n=100,rotate=90", workspace, seed=1)
    b = load_domain("mnist5k:n=100,rotate=90", workspace, seed=1)
    c = load_domain("mnist5k:n=100", workspace, seed=2)
    assert a.name == "mnist5k:n=100,rotate=90" and a.n_samples == 100
    assert torch.equal(a.X, b.X) and torch.equal(a.y, b.y)
    assert not torch.equal(a.y, c.y)
    plain = load_domain("mnist5k:n=100", workspace, seed=1)
    torch.testing.assert_close(a.X, torch.rot90(plain.X, 1, dims=(-2, -1)), atol=1e-5, rtol=0)
    with pytest.raises(TLError, match="more than the 5000 samples"):
        load_domain("mnist5k:n=5001", workspace)


def test_load_file_path_and_restricted_mode(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "feats.npz"
    np.savez(path, X=np.arange(12, dtype=np.float32).reshape(4, 3), y=np.array([0, 1, 1, 0]))
    domain = load_domain(str(path), workspace)
    assert domain.name == str(path) and domain.shape == (3,)
    with pytest.raises(TLError, match="not allowed here"):
        load_domain(str(path), workspace, allow_paths=False)
    with pytest.raises(TLError, match="not allowed here"):
        load_domain(f"usps@{tmp_path}", workspace, allow_paths=False)
    with pytest.raises(TLError, match="no such file"):
        load_domain(str(tmp_path / "missing.csv"), workspace)


def test_label_none_reads_any_file_unlabelled(tmp_path: Path, workspace: Workspace) -> None:
    """Folders that are not classes (dates) are refused as labels, and read with ``label=none``."""
    dated = {f"scans/2024-0{m}/{i}.png": png_bytes(digit_image(i)) for m in (1, 2) for i in range(3)}
    write_zip(tmp_path / "dated.zip", dated)
    labelled = load_domain(str(tmp_path / "dated.zip"), workspace)
    assert labelled.classes == ("2024-01", "2024-02")
    with pytest.raises(TLError, match=r"no class of .*dated.zip matches .*unlabelled with label=none$"):
        harmonise(load_domain("mnist5k:n=20", workspace), labelled)
    unlabelled = load_domain(f"{tmp_path / 'dated.zip'}:label=none", workspace)
    assert unlabelled.y is None and unlabelled.classes == () and unlabelled.ids == labelled.ids
    assert labelled.provenance.startswith("6 labelled images from ")
    assert unlabelled.provenance.startswith("6 images from ")  # QA helper-126: "6 labelled images ..."
    assert unlabelled.provenance.endswith("dated.zip; labels ignored (label=none)")
    torch.testing.assert_close(unlabelled.X, labelled.X)
    _, target = harmonise(load_domain("mnist5k:n=20", workspace), unlabelled)
    assert target.n_samples == 6 and target.y is None
    np.savez(tmp_path / "feats.npz", X=np.ones((4, 3), np.float32), y=np.array([0, 1, 1, 0]))
    (tmp_path / "table.csv").write_text("a,b,label\n1,2,cat\n3,4,dog\n")
    for name, shape in (("feats.npz", (3,)), ("table.csv", (2,))):  # the label column left out
        domain = load_domain(f"{tmp_path / name}:label=none", workspace)
        assert domain.y is None and domain.shape == shape
    with pytest.raises(TLError, match=r"label=COLUMN applies to tables only \(label=none reads"):
        load_domain(f"{tmp_path / 'dated.zip'}:label=kind", workspace)


def test_spec_labelled_says_what_loading_would(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a spec's domain has labels, told from its layout, members or label column without
    decoding a sample: the answer, or the error, loading it gives."""
    png = png_bytes(digit_image(1))
    write_zip(tmp_path / "classes.zip", {f"set/{c}/{i}.png": png for c in "ab" for i in (1, 2)})
    write_zip(tmp_path / "loose.zip", {f"scans/{i}.png": png for i in (1, 2)})
    write_zip(tmp_path / "mixed.zip", {"a/1.png": png, "2.png": png})
    write_zip(tmp_path / "text.zip", {"notes.txt": b"no images"})
    for animal in ("cat", "dog"):
        (tmp_path / "folder" / animal).mkdir(parents=True)
        (tmp_path / "folder" / animal / "1.png").write_bytes(png)
    np.savez(tmp_path / "y.npz", X=np.ones((4, 3), np.float32), y=np.array([0, 1, 1, 0]))
    np.savez(tmp_path / "x.npz", X=np.ones((4, 3), np.float32))
    (tmp_path / "label.csv").write_text("a,b,Class\n1,2,cat\n3,4,dog\n")
    (tmp_path / "kind.csv").write_text("a,b,kind\n1,2,1\n3,4,0\n")
    bare = "5.1,3.5,setosa\n6.2,2.9,virginica\n4.9,3.0,setosa\n"  # no header: labels in its text column
    (tmp_path / "bare.csv").write_text(bare)
    (tmp_path / "species.csv").write_text("a,b,species\n1,2,cat\n3,4,dog\n")  # its labels, not named
    save_upload(workspace, "scans.zip", (tmp_path / "loose.zip").read_bytes())
    save_upload(workspace, "table.csv", (tmp_path / "label.csv").read_bytes())
    files = ("classes.zip", "folder", "y.npz", "label.csv", "kind.csv:label=kind", "bare.csv")
    labelled = ["mnist5k:n=10", "upload:table.csv", *(f"{tmp_path / name}" for name in files)]
    files = ("loose.zip:rotate=10", "x.npz", "kind.csv", "classes.zip:label=none")
    unlabelled = [
        "upload:scans.zip",
        "upload:table.csv:label=none",
        *(f"{tmp_path / name}" for name in files),
    ]
    for text in labelled + unlabelled:
        assert spec_labelled(text, workspace) == load_domain(text, workspace).labelled == (text in labelled)
    assert spec_labelled("kmnist@/nowhere:split=test")  # a dataset is labelled: no file is read
    refused = ("mixed.zip", "text.zip", "missing.npz", "kind.csv:label=nope", "y.npz:label=kind")
    refused += ("species.csv", "species.csv:label=a")
    for name in (*refused, "y.npz"):
        if name == "y.npz":
            monkeypatch.setenv("TLSTUDIO_MAX_UPLOAD_BYTES", "10")
        with pytest.raises(TLError) as from_loading:
            load_domain(str(tmp_path / name), workspace)
        with pytest.raises(TLError) as before:
            spec_labelled(str(tmp_path / name), workspace)
        assert str(before.value) == str(from_loading.value)
        if name == "species.csv":  # the spec that reads its text column as the labels
            hint = (
                f"(the label column? read the file as {tmp_path / name}:label=species; a feature, such as a "
                f"region? read it as {tmp_path / name}:text=onehot)"
            )
            assert str(before.value).endswith(hint)


def test_list_domains(workspace: Workspace, tmp_path: Path) -> None:
    rows = {row["name"]: row for row in list_domains(workspace)}
    assert list(rows)[:8] == [
        "mnist5k",
        "digits",
        "fashion",
        "mnist",
        "usps",
        "svhn",
        "fashionmnist",
        "kmnist",
    ]
    assert rows["mnist5k"]["offline"] and rows["digits"]["offline"] and rows["fashion"]["offline"]
    assert rows["mnist5k"]["n_samples"] == 5000 and rows["svhn"]["shape"] == [3, 32, 32]
    assert not rows["usps"]["offline"]
    np.savez(buffer := tmp_path / "f.npz", X=np.ones((2, 3)))
    save_upload(workspace, "f.npz", buffer.read_bytes())
    rows = {row["name"]: row for row in list_domains(workspace)}
    assert rows["upload:f.npz"]["kind"] == "upload"
