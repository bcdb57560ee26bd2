"""``python -m tlcore export``: the files and numbers it reports, one error line for every refusal, and
nothing left behind when it refuses or fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
import torch
from torch import nn

import tlcore.export
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.errors import TLError
from tlcore.export import TOLERANCE, check_out, export_model
from tlcore.model_card import Provenance
from tlcore.models import build_model
from tlcore.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]


def cli(workspace, *args: str) -> int:
    return main(["--workspace", str(workspace.root), "export", *args])


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(("fmt", "file"), [("onnx", "model.onnx"), ("torchscript", "model.pt")])
def test_cli_exports_a_done_run(done_run, tmp_path, capsys, fmt, file):
    workspace, run_id = done_run
    out = tmp_path / "exported"
    assert cli(workspace, run_id, "--format", fmt, "--out", str(out), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["folder"] == str(out)
    assert report["files"] == [file, "model.json"]
    assert listing(out) == sorted(report["files"])
    assert listing(tmp_path) == ["exported"]
    assert 0 <= report["max_abs_diff"] <= TOLERANCE
    card = json.loads((out / "model.json").read_text())
    assert card == report["card"]
    assert (card["format"], card["file"], card["run_id"]) == (fmt, file, run_id)
    assert card["input"]["shape"] == ["batch", 1, 28, 28]
    assert card["parity"]["batch_sizes"] == [2, 5, 1]
    written = onnx.load(str(out / file)).opset_import if fmt == "onnx" else []  # the file's own record
    assert card["onnx_opset"] == next((o.version for o in written if o.domain in {"", "ai.onnx"}), None)
    assert (card["onnx_opset"] is None) == (fmt == "torchscript")


def test_an_onnx_export_writes_nothing_outside_its_folder_and_the_workspace(done_run, tmp_path):
    """onnxruntime, left to itself, writes a device id under ~/.cache on import (its telemetry)."""
    workspace, run_id = done_run
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME"}}
    argv = ["--workspace", str(workspace.root), "export", run_id, "--format", "onnx", "--out"]
    done = subprocess.run(
        [sys.executable, "-m", "tlcore", *argv, str(tmp_path / "exported")],
        env={**env, "HOME": str(home), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert listing(tmp_path / "exported") == ["model.json", "model.onnx"]
    assert [p for p in home.rglob("*") if p.is_file()] == []


def test_cli_text_report_into_an_empty_folder(done_run, tmp_path, capsys):
    workspace, run_id = done_run
    out = tmp_path / "empty"
    out.mkdir()
    assert cli(workspace, run_id, "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert f"exported run {run_id} (lenet, 10 classes) to {out}" in text
    assert "model.onnx" in text
    assert "input: batch x 1 x 28 x 28 float32; output: logits" in text
    assert "batches of 2, 5, 1: max |Δ logit|" in text
    opset = json.loads((out / "model.json").read_text())["onnx_opset"]
    assert f"  opset     ONNX opset {opset} (ai.onnx)\n" in text and opset >= 7  # dynamo writes 18 or later
    assert listing(out) == ["model.json", "model.onnx"]


def test_cli_refusals_are_one_line_and_write_nothing(done_run, tmp_path, capsys):
    workspace, run_id = done_run
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    (tmp_path / "a-file").write_text("mine")
    queued = RunStore(workspace).create(AdaptConfig(source="mnist5k", target="digits"))
    before = listing(tmp_path)
    cases = [
        (["20990101-000000-abcdef", "--out", str(tmp_path / "new")], "no run 20990101-000000-abcdef"),
        (["../../etc", "--out", str(tmp_path / "new")], "no run ../../etc"),
        ([queued, "--out", str(tmp_path / "new")], f"run {queued} is queued; only a done run"),
        ([run_id, "--out", str(taken)], "already exists and is not an empty folder"),
        ([run_id, "--out", str(tmp_path / "a-file")], "is an existing file; --out names a folder"),
        ([run_id, "--out", str(tmp_path / "missing" / "new")], "the folder"),
        ([run_id, "--out", str(tmp_path / "model.onnx")], f"{tmp_path / 'model.onnx'} names a file"),
        ([run_id, "--out", str(tmp_path / "m.PT")], f"choose a folder, e.g. {tmp_path / 'm'}"),
    ]
    for args, message in cases:
        assert cli(workspace, *args) == 2
        assert message in one_error_line(capsys)
        assert listing(tmp_path) == before
    assert listing(taken) == ["keep.txt"]
    with pytest.raises(SystemExit):
        cli(workspace, run_id, "--format", "tflite", "--out", str(tmp_path / "new"))
    assert listing(tmp_path) == before


def test_an_existing_file_as_out_is_named_a_file(tmp_path: Path) -> None:
    (tmp_path / "scans.csv").write_text("id,predicted\n")
    with pytest.raises(TLError) as refused:
        check_out(tmp_path / "scans.csv")
    assert str(refused.value) == (
        f"{tmp_path / 'scans.csv'} is an existing file; --out names a folder to create (or an empty one) "
        "for the model file and model.json"
    )


def test_out_where_the_user_may_not_look_or_below_a_file_is_one_line(done_run, tmp_path, capsys, monkeypatch):
    """Not as root, a folder the user may not read (``--out /root/x``: stat says EACCES; an empty
    folder of someone else's: listing it does) is one error line, not a traceback; so is a folder
    under a file and the home folder of a user that does not exist."""
    workspace, run_id = done_run
    locked, empty = tmp_path / "locked", tmp_path / "theirs"
    empty.mkdir()
    (tmp_path / "notes.txt").write_text("mine")
    stat, iterdir = Path.stat, Path.iterdir

    def denied(path: Path, *args: object, **kwargs: object) -> os.stat_result:
        if locked in (path, *path.parents):
            raise PermissionError(13, "Permission denied", str(path))
        return stat(path, *args, **kwargs)

    def unlisted(path: Path) -> object:
        if path == empty:
            raise PermissionError(13, "Permission denied", str(path))
        return iterdir(path)

    monkeypatch.setattr(Path, "stat", denied)
    monkeypatch.setattr(Path, "iterdir", unlisted)
    cases = [
        (locked / "out", f"cannot export into {locked / 'out'}: Permission denied"),
        (empty, f"cannot export into {empty}: Permission denied"),
        (
            tmp_path / "notes.txt" / "out",
            f"cannot export into {tmp_path / 'notes.txt' / 'out'}: {tmp_path / 'notes.txt'} is a file",
        ),
        ("~no-such-user-258/out", "cannot export into ~no-such-user-258/out: no such user's home folder"),
    ]
    for out, message in cases:
        assert cli(workspace, run_id, "--out", str(out)) == 2
        assert one_error_line(capsys) == f"error: {message}"
    assert listing(tmp_path) == ["notes.txt", "theirs"]


class KthValue(nn.Module):
    """A head the ONNX exporter has no conversion for (``aten.kthvalue``)."""

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.kthvalue(features, 2, dim=1, keepdim=True)[0].expand(-1, 10)


class BatchBranch(nn.Module):
    """A head whose graph depends on the batch size: tracing freezes the branch taken at batch 2."""

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        scale = 2.0 if features.shape[0] == 2 else 1.0
        return features[:, :10] * scale


@pytest.mark.parametrize(
    "case",
    [
        (KthValue(), "onnx", "cannot export the model to ONNX: op aten.kthvalue.default: No ONNX function"),
        (BatchBranch(), "onnx", "the ONNX exporter fixed the batch axis at 2: the model's graph depends on"),
        (BatchBranch(), "torchscript", "differ from torch's by up to"),
    ],
)
def test_cli_export_failure_names_the_reason_and_leaves_nothing(
    done_run, tmp_path, capsys, monkeypatch, case
):
    workspace, run_id = done_run
    head, fmt, message = case

    load_model = RunStore.load_model

    def broken_model(store: RunStore, run_id: str) -> nn.Module:
        model = load_model(store, run_id)
        model.head = head
        return model

    monkeypatch.setattr(RunStore, "load_model", broken_model)
    assert cli(workspace, run_id, "--format", fmt, "--out", str(tmp_path / "exported")) == 2
    assert message in one_error_line(capsys)
    assert listing(tmp_path) == []


def test_export_model_refuses_class_names_that_do_not_match_the_outputs(tmp_path):
    model = build_model("mlp", (5,), 3)
    with pytest.raises(tlcore.TLError, match="2 class names for a model with 3 outputs"):
        export_model(model, ("a", "b"), Provenance("r", "s.csv", "t.csv", ("im",)), "onnx", tmp_path / "x")
    assert listing(tmp_path) == []


def test_cli_text_fits_an_80_column_terminal(done_run, tmp_path, capsys, monkeypatch):
    """QA helper-250: the ``checked`` line ran to 123 columns; it wraps under its label."""
    monkeypatch.setenv("COLUMNS", "80")
    workspace, run_id = done_run
    assert cli(workspace, run_id, "--out", str(tmp_path / "exported")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines if str(tmp_path) not in line) <= 80, lines  # a path stays whole
    checked = next(i for i, line in enumerate(lines) if line.startswith("  checked   "))
    assert lines[checked + 1].startswith(" " * 12) and lines[checked + 1][12] != " "
