"""`python -m tlcore data list|inspect|upload`: JSON summaries, readable text, one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from data_formats import digit_image, png_bytes, write_zip

from tlcore.cli import main
from tlcore.cli.output import display_width
from tlcore.commands import command_in, command_line
from tlcore.data.tables import read_table

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], workspace: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def inspect_json(capsys: pytest.CaptureFixture[str], workspace: Path, spec: str) -> dict:
    code, out, err = run(capsys, workspace, "data", "inspect", spec, "--json")
    assert code == 0, err
    return json.loads(out)


def test_list_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, tmp_path, "data", "list", "--json")
    payload = json.loads(out)
    names = [row["name"] for row in payload["domains"]]
    assert code == 0 and names[:3] == ["mnist5k", "digits", "fashion"] and "usps" in names
    assert [s["name"] for s in payload["shifts"]][:2] == ["rotate", "scale"]
    code, out, _ = run(capsys, tmp_path, "data", "list")
    assert "mnist5k" in out and "shifts (spec key=value):" in out
    rows = [line for line in out.split("shifts (spec key=value):\n")[1].splitlines() if line[2] != " "]
    assert [line.split()[0] for line in rows][-2:] == ["occlusion", "standardise"]
    columns = {tuple(m.start() for m in list(re.finditer(r"\S+", line))[1:3]) for line in rows}
    assert columns == {(15, 26)}  # QA helper-126: standardise pushed its range and words right


def test_inspect_builtins(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    summary = inspect_json(capsys, tmp_path, "mnist5k")
    assert summary["n_samples"] == 5000 and summary["shape"] == [1, 28, 28]
    assert summary["n_classes"] == 10 and summary["labelled"] is True
    assert set(summary["class_counts"].values()) == {500}
    assert {"name", "classes", "provenance", "kind"} <= set(summary)
    shifted = inspect_json(capsys, tmp_path, "fashion:rotate=30")
    assert shifted["name"] == "fashion:rotate=30" and shifted["n_samples"] == 70000
    assert "rotate=30" in shifted["provenance"]
    assert inspect_json(capsys, tmp_path, "digits:colour=1,n=10")["shape"] == [3, 28, 28]
    code, out, _ = run(capsys, tmp_path, "data", "inspect", "digits")
    assert code == 0 and out.startswith("digits: 1797 image samples") and "10 classes: 0: 178" in out


def test_inspect_and_upload_each_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    write_zip(
        files / "classes.zip", {f"{c}/{i}.png": png_bytes(digit_image(i)) for c in "ab" for i in range(2)}
    )
    write_zip(files / "flat.zip", {f"{i}.png": png_bytes(digit_image(i)) for i in range(3)})
    np.savez(files / "arrays.npz", X=np.zeros((4, 6), dtype=np.float32), y=np.array([0, 1, 0, 1]))
    frame = pd.DataFrame({"x1": [0.1, 0.2], "x2": [1.0, 2.0], "target": ["u", "v"]})
    frame.to_csv(files / "table.csv", index=False)
    frame.to_parquet(files / "table.parquet")
    expected = {
        "classes.zip": (4, [1, 28, 28], True),
        "flat.zip": (3, [1, 28, 28], False),
        "arrays.npz": (4, [6], True),
        "table.csv": (2, [2], True),
        "table.parquet": (2, [2], True),
    }
    workspace = tmp_path / "ws"
    for filename, (n, shape, labelled) in expected.items():
        direct = inspect_json(capsys, workspace, str(files / filename))
        assert (direct["n_samples"], direct["shape"], direct["labelled"]) == (n, shape, labelled)
        code, out, _ = run(capsys, workspace, "data", "upload", str(files / filename), "--json")
        uploaded = json.loads(out)  # and what the text says of it (QA helper-250)
        assert code == 0 and (uploaded["name"], uploaded["spec"]) == (filename, f"upload:{filename}")
        assert (uploaded["summary"]["n_samples"], uploaded["summary"]["shape"]) == (n, shape)
        stored = inspect_json(capsys, workspace, f"upload:{filename}")
        assert {k: v for k, v in stored.items() if k not in ("name", "provenance")} == {
            k: v for k, v in direct.items() if k not in ("name", "provenance")
        }
    code, out, _ = run(capsys, workspace, "data", "inspect", "upload:flat.zip")
    assert code == 0 and "unlabelled" in out
    code, out, _ = run(capsys, workspace, "data", "list", "--json")
    assert "upload:table.parquet" in [row["name"] for row in json.loads(out)["domains"]]


def test_an_unlabelled_table_with_categories_is_not_told_one_is_its_label(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An unlabelled target export with two text columns (a region, a channel: categories, not labels)
    is told to encode or drop them; naming the first as labels is offered only as an 'if' (QA helper-195:
    it read 'the label column? --label region', and region, so named, still left channel refused)."""
    frame = pd.DataFrame(
        {"id": ["a", "b"], "price": [1.0, 2.0], "region": ["n", "s"], "channel": ["web", "store"]}
    )
    frame.to_parquet(tmp_path / "target.parquet", index=False)
    code, _, err = run(capsys, tmp_path / "ws", "data", "upload", str(tmp_path / "target.parquet"))
    assert code == 2 and err.endswith(
        "target.parquet: non-numeric feature columns region, channel (only a label column may hold text: "
        "drop the others, or encode them as a 0/1 column per value: upload with --text onehot (the spec "
        "option text=onehot); if region holds the labels, name it on upload: --label region)\n"
    ), err


def test_an_unlabelled_table_named_with_a_label_column_is_told_how_to_read_it_unlabelled(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """QA helper-195: an unlabelled target uploaded or read with its source's label column ('outcome')
    said only that it has no such column; it is now told how to read it unlabelled, on upload and as a
    spec."""
    pd.DataFrame({"price": [1.0, 2.0], "ratio": [0.1, 0.2]}).to_parquet(
        tmp_path / "target.parquet", index=False
    )
    workspace = tmp_path / "ws"
    code, _, err = run(
        capsys, workspace, "data", "upload", str(tmp_path / "target.parquet"), "--label", "outcome"
    )
    missing = "target.parquet has no column 'outcome' (columns: price, ratio); a table without labels "
    missing += "(an unlabelled target): "
    assert code == 2 and err.endswith(f"{missing}read it so on upload: --label none\n"), err
    code, _, err = run(capsys, workspace, "data", "inspect", f"{tmp_path / 'target.parquet'}:label=outcome")
    assert code == 2 and err.endswith(f"{missing}read it as {tmp_path / 'target.parquet'}:label=none\n"), err


def test_upload_names_a_label_column_or_none(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A table whose label column has another name is checked with ``--label``, which prints the spec
    that reads it so (the file is stored as it is: the spec carries the label column); ``--label none``
    stores any file unlabelled; a name the spec cannot hold is refused."""
    pd.DataFrame({"x1": [0.1, 0.2, 0.3], "species": ["a", "b", "a"]}).to_csv(
        tmp_path / "iris.csv", index=False
    )
    workspace = tmp_path / "ws"
    code, _, err = run(capsys, workspace, "data", "upload", str(tmp_path / "iris.csv"))
    assert code == 2 and err.endswith(
        "iris.csv: non-numeric feature columns species (the label column? name it on upload: "
        "--label species; a feature, such as a region? upload with --text onehot (the spec option "
        "text=onehot))\n"
    )
    code, out, _ = run(capsys, workspace, "data", "upload", str(tmp_path / "iris.csv"), "--label", "species")
    assert code == 0 and out.splitlines() == [  # what it stored, as data inspect says it (QA helper-142)
        "stored as upload:iris.csv; use it as upload:iris.csv:label=species",
        "upload:iris.csv:label=species: 3 samples of 1 feature",
        "  provenance: upload:iris.csv: 3 rows x 1 features, labels from column 'species'",
        "  2 classes: a: 2, b: 1",
    ]
    assert inspect_json(capsys, workspace, "upload:iris.csv:label=species")["classes"] == ["a", "b"]
    code, out, _ = run(capsys, workspace, "data", "inspect", "upload:iris.csv:label=species")
    assert out.startswith("upload:iris.csv:label=species: 3 samples of 1 feature\n")
    for spec in ("upload:iris.csv", "upload:iris.csv:n=2", str(tmp_path / "iris.csv")):
        code, _, err = run(capsys, workspace, "data", "inspect", spec)
        named = spec.replace("n=2", "n=2,label=species") if "n=2" in spec else f"{spec}:label=species"
        encoded = f"{spec}:text=onehot" if ":" not in spec.replace("upload:", "") else f"{spec},text=onehot"
        hint = (
            f"(the label column? read the file as {named}; a feature, such as a region? read it as {encoded})"
        )
        assert code == 2 and err.endswith(f"{hint}\n"), err
    write_zip(tmp_path / "dated.zip", {f"2024-0{m}/{m}.png": png_bytes(digit_image(m)) for m in (1, 2)})
    code, out, _ = run(
        capsys, workspace, "data", "upload", str(tmp_path / "dated.zip"), "--label", "none", "--json"
    )
    uploaded = json.loads(out)
    assert code == 0 and (uploaded["name"], uploaded["spec"]) == ("dated.zip", "upload:dated.zip:label=none")
    assert inspect_json(capsys, workspace, "upload:dated.zip:label=none")["labelled"] is False
    code, _, err = run(capsys, workspace, "data", "upload", str(tmp_path / "iris.csv"), "--label", "a,b")
    assert code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1
    assert sorted(p.name for p in (workspace / "uploads").iterdir()) == [".order", "dated.zip", "iris.csv"]
    assert [p.name for p in (workspace / "uploads" / ".order").iterdir()] == ["dated.zip"]  # its read order


def test_a_text_column_beside_a_label_column_is_to_be_dropped_not_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A table with its label column and a text feature column: naming the text column as the labels
    would lose the real ones, so the CLI says to drop or encode it, on upload and on reading."""
    frame = pd.DataFrame({"x1": [0.1, 0.2, 0.3], "hospital": ["n", "s", "n"], "label": ["a", "b", "a"]})
    frame.to_csv(tmp_path / "visits.csv", index=False)
    workspace = tmp_path / "ws"
    expected = (
        "visits.csv: non-numeric feature columns hospital (only the label column, label, may hold text: drop "
        "it, or encode it as a 0/1 column per value: {how})\n"
    )
    code, _, err = run(capsys, workspace, "data", "upload", str(tmp_path / "visits.csv"))
    how = "upload with --text onehot (the spec option text=onehot)"
    assert code == 2 and err == f"error: {expected.format(how=how)}"
    code, _, err = run(capsys, workspace, "data", "inspect", str(tmp_path / "visits.csv"))
    assert code == 2 and err.endswith(
        expected.format(how=f"read it as {tmp_path / 'visits.csv'}:text=onehot")
    ), err
    code, _, err = run(capsys, workspace, "data", "upload", str(tmp_path / "visits.csv"), "--label", "none")
    assert code == 2 and "drop" in err and "the label column?" not in err, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["data", "inspect", "mnist5k:rotate=999"], "error: rotate=999 is out of range"),
        (["data", "inspect", "nonsense"], "error: unknown domain 'nonsense'"),
        (["data", "upload", "missing.zip"], "error: no such file"),
        # QA helper-266: both said "no such file"
        (
            ["data", "upload", "/dev/zero"],
            "error: /dev/zero is a character device, not a regular file: name a file\n",
        ),
        (
            ["data", "inspect", "/dev/zero"],
            "error: /dev/zero is a character device, not a regular file: name a file or",
        ),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list, message: str
) -> None:
    code, out, err = run(capsys, tmp_path, *argv)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_a_named_pipe_is_refused_in_one_line_not_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Reading a pipe no one writes to would wait for ever; it is not a regular file."""
    pipe = tmp_path / "rows.csv"
    os.mkfifo(pipe)
    for command in ("upload", "inspect"):
        code, _, err = run(capsys, tmp_path / "ws", "data", command, str(pipe))
        assert code == 2 and err.startswith(f"error: {pipe} is a named pipe, not a regular file: name a file")


def test_bad_spec_in_a_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip")
    result = subprocess.run(
        [sys.executable, "-m", "tlcore", "--workspace", str(tmp_path / "ws"), "data", "inspect", str(bad)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "error: bad.zip is not a valid zip archive (empty, truncated or another format)\n"
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """``python -m tlcore ... | head``: no traceback, the SIGPIPE exit code (128 + 13)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tlcore", "--workspace", str(tmp_path / "ws"), "data", "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line (importing torch takes seconds)
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert stderr == ""


def test_upload_of_a_folder_says_it_is_read_in_place(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """QA: ``data upload FOLDER`` said "no such file" of a folder that works as a spec."""
    folder = tmp_path / "my scans"
    for i in range(3):
        (folder / str(i % 2)).mkdir(parents=True, exist_ok=True)
        (folder / str(i % 2) / f"{i}.png").write_bytes(png_bytes(digit_image(i % 2)))
    workspace = tmp_path / "ws"
    code, out, err = run(capsys, workspace, "data", "upload", str(folder))
    assert (code, out) == (2, "")
    inspect, adapt = (  # with the --workspace given: pasted, adapt trains into it
        command_line(*words, str(folder), workspace=str(workspace))
        for words in (("data", "inspect"), ("adapt", "--target"))
    )
    assert err == (
        f"error: {folder} is a folder: uploads are files, a folder of images is read where it is; use "
        f"its path as the spec (e.g. {inspect}, {adapt}), or upload a .zip of it\n"
    )
    assert not (workspace / "uploads").exists() or not any((workspace / "uploads").iterdir())
    assert inspect_json(capsys, workspace, str(folder))["n_samples"] == 3  # the spec it names works


def test_list_pads_a_wide_name_by_terminal_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An upload named in CJK (two columns a character) keeps the kind column where the others have it
    (padding by characters put it 3 columns right of the header's)."""
    (tmp_path / "数据表.csv").write_text("x1,label\n0.1,a\n0.2,b\n0.3,a\n", encoding="utf-8")
    code, _, err = run(capsys, tmp_path / "ws", "data", "upload", str(tmp_path / "数据表.csv"))
    assert code == 0, err
    code, out, _ = run(capsys, tmp_path / "ws", "data", "list")
    lines = out.splitlines()
    mine = next(line for line in lines if line.startswith("upload:数据表.csv"))
    assert display_width("upload:数据表.csv") == 17
    assert mine.startswith("upload:数据表.csv" + " " * 8 + "upload ")
    assert lines[0].index("kind") == 25 == display_width(mine[: mine.index("upload ", 1)])
    long = "upload:データ東京テスト_2026.csv"  # 31 columns, past the name column's 24
    (tmp_path / long.removeprefix("upload:")).write_bytes((tmp_path / "数据表.csv").read_bytes())
    assert (
        run(capsys, tmp_path / "ws", "data", "upload", str(tmp_path / long.removeprefix("upload:")))[0] == 0
    )
    lines = run(capsys, tmp_path / "ws", "data", "list")[1].splitlines()
    rows = [line for line in lines if line.startswith("upload:")]
    kinds = {display_width(line[: line.index(" upload ")]) for line in rows}
    assert kinds == {display_width(long)} and lines[0].index(" kind") == display_width(long)  # QA: 3 off


def test_list_shows_what_an_upload_read_and_upload_parses_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``data list`` gives an upload's samples and shape as the upload read them (kept beside it, not
    parsed again), the spec it was read as, and ``-`` for an upload without that summary; ``data upload``
    parses the file once (it parsed it again to print what it stored)."""
    from tlcore.data import uploads  # noqa: PLC0415 - the reader the upload calls

    parsed: list[str] = []
    monkeypatch.setattr(uploads, "read_table", lambda *a, **k: parsed.append(a[1]) or read_table(*a, **k))
    lines = ["a,b,c,species", *(f"{i},{i % 3},{'' if i == 4 else i * 2},{'xy'[i % 2]}" for i in range(7))]
    (tmp_path / "sensors.csv").write_text("\n".join(lines) + "\n")
    workspace = tmp_path / "ws"
    argv = ("data", "upload", str(tmp_path / "sensors.csv"), "--label", "species", "--missing", "drop")
    code, out, err = run(capsys, workspace, *argv)
    assert code == 0, err
    assert parsed == ["sensors.csv"]  # once, naming the file as the user has it
    assert out.splitlines()[1] == "upload:sensors.csv:label=species,missing=drop: 6 samples of 3 features"
    code, out, _ = run(capsys, workspace, "data", "list", "--json")
    (row,) = [r for r in json.loads(out)["domains"] if r["kind"] == "upload"]
    assert (row["name"], row["n_samples"], row["shape"]) == ("upload:sensors.csv", 6, [3])
    assert row["description"].startswith("uploaded feature vectors, 2 classes, ")
    assert row["description"].endswith("; read as upload:sensors.csv:label=species,missing=drop")
    code, out, _ = run(capsys, workspace, "data", "list")
    (line,) = [line for line in out.splitlines() if line.startswith("upload:")]
    assert line.split()[:6] == ["upload:sensors.csv", "upload", "6", "3", "features", "yes"]
    assert parsed == ["sensors.csv"]  # listing read no table
    with (workspace / "uploads" / "sensors.csv").open("a") as fh:  # changed since: its summary is stale
        fh.write("7,1,14,x\n")
    code, out, _ = run(capsys, workspace, "data", "list")
    (line,) = [line for line in out.splitlines() if line.startswith("upload:")]
    assert line.split()[:5] == ["upload:sensors.csv", "upload", "-", "-", "yes"]
    assert line.split()[5:7] == ["uploaded", "file,"]
    code, out, _ = run(capsys, workspace, "data", "list", "--json")
    (row,) = [r for r in json.loads(out)["domains"] if r["kind"] == "upload"]
    scan = command_in(workspace.resolve(), "data", "list", "--scan")  # its --workspace: this one
    assert row["description"].endswith(  # QA helper-157: "-" with no reason
        "; samples and shape not kept (stored by an older version, or the file changed since): "
        f"the next read of it keeps them ({scan} reads every such upload)"
    )
