"""An upload's kept summary (``cache/uploads/NAME.json``): lost or stale, it is kept again by the next
read of the file as it is stored (a run, a diagnosis, a prediction, ``data inspect``); a read under
another spec leaves a kept one alone."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from data_formats import digit_image, png_bytes, write_zip

from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.data.catalog import list_domains, upload_summary
from tlcore.data.spec import load_domain
from tlcore.data.uploads import save_upload
from tlcore.predict import load_data, load_run_model
from tlcore.runs import jobs
from tlcore.workspace import Workspace


def _summary_file(workspace: Workspace, name: str) -> Path:
    return workspace.root / "cache" / "uploads" / f"{name}.json"


def _listed(workspace: Workspace, name: str) -> tuple[int | None, list[int] | None]:
    (row,) = [r for r in list_domains(workspace) if r["name"] == f"upload:{name}"]
    return row["n_samples"], row["shape"]


def _npz(n: int = 12) -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(buffer, X=rng.random((n, 1, 16, 16)).astype(np.float32), y=np.arange(n) % 3)
    return buffer.getvalue()


def test_a_lost_summary_is_kept_again_by_a_run_and_by_a_prediction(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    name = save_upload(workspace, "scans.npz", _npz())
    kept = _summary_file(workspace, name).read_text()
    _summary_file(workspace, name).unlink()  # an upload stored before summaries were kept
    assert _listed(workspace, name) == (None, None)
    spec = f"upload:{name}"
    config = AdaptConfig(source=spec, target=f"{spec}:n=9", methods=("source_only",), epochs=1)
    record = jobs.run_inline(workspace, config)
    assert record.status == "done", record.error
    assert _summary_file(workspace, name).read_text() == kept  # the upload's own, not the n=9 draw's
    _summary_file(workspace, name).unlink()
    trained = load_run_model(workspace, record.id)
    assert load_data(trained, f"{spec}:noise=0.1", workspace).n_samples == 12
    assert _summary_file(workspace, name).read_text() == kept
    assert main(["--workspace", str(workspace.root), "data", "list"]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith(spec)]
    assert line.split()[:5] == [spec, "upload", "12", "1x16x16", "yes"]


def _mixed_zip(workspace: Workspace, tmp_path: Path) -> str:
    """A stored zip of 12x12 gray and 16x16 colour PNGs, a broken one and a text file (its summary
    says each: 3 channels, the median size, 2 resized, 1 skipped, 1 ignored), its summary kept."""
    members = {f"{i % 2}/{i}.png": png_bytes(digit_image(i % 2, size=12)) for i in range(4)}
    members |= {f"{i % 2}/{i}.png": png_bytes(digit_image(i % 2, size=16, rgb=True)) for i in (4, 5)}
    members |= {"1/broken.png": b"not a png", "notes.txt": b"scanned on Monday"}
    return save_upload(workspace, "mixed.zip", write_zip(tmp_path / "mixed.zip", members).read_bytes())


def test_a_zip_decoded_to_another_shape_keeps_the_summary_its_own_read_keeps(
    workspace: Workspace, tmp_path: Path
) -> None:
    """A zip decoded to a model's or a paired source's shape keeps the files' own facts, from the same
    decode (QA helper-164: it kept none, so a zip used only as a target never showed its samples)."""
    name = _mixed_zip(workspace, tmp_path)
    kept = _summary_file(workspace, name).read_text()
    summary = json.loads(kept)["summary"]
    assert (summary["n_samples"], summary["shape"]) == (6, [3, 12, 12])
    assert summary["provenance"] == (
        f"6 labelled images from upload:{name}, 2 resized to 12x12 keeping the aspect ratio, centre-cropped, "
        "1 unreadable skipped (1/broken.png), 1 file of another type ignored: .txt (1)"
    )
    _summary_file(workspace, name).unlink()
    domain = load_domain(f"upload:{name}", workspace, image_shape=(1, 28, 28))
    assert domain.shape == (1, 28, 28) and "as_stored" not in domain.meta
    assert domain.provenance.startswith("6 labelled images from upload:mixed.zip, 6 resized to 28x28")
    assert _summary_file(workspace, name).read_text() == kept
    unlabelled = f"upload:{name}:label=none"
    _summary_file(workspace, name).unlink()
    load_domain(unlabelled, workspace)  # read alone, labels ignored
    alone = _summary_file(workspace, name).read_text()
    assert json.loads(alone)["summary"]["name"] == unlabelled
    _summary_file(workspace, name).unlink()
    load_domain(unlabelled, workspace, image_shape=(3, 20, 20))
    assert _summary_file(workspace, name).read_text() == alone


def test_data_list_shows_a_zip_targets_samples_after_one_diagnose(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _mixed_zip(workspace, tmp_path)
    _summary_file(workspace, name).unlink()  # an upload stored before summaries were kept
    argv = ["--workspace", str(workspace.root)]
    diagnose = ["diagnose", "--source", "mnist5k:n=60", "--target", f"upload:{name}", "--no-umap"]
    assert main([*argv, *diagnose, "--permutations", "20", "--no-explain", "--json"]) == 0
    assert main([*argv, "data", "list"]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith(f"upload:{name}")]
    assert line.split()[1:5] == ["upload", "6", "3x12x12", "yes"]


def test_a_read_under_another_spec_leaves_a_kept_summary_and_replaces_a_stale_one(
    workspace: Workspace,
) -> None:
    rows = ["a,b,species", *(f"{i},{i * 2},{i % 2}" for i in range(6))]
    name = save_upload(workspace, "sensors.csv", ("\n".join(rows) + "\n").encode(), label="species")
    stored = upload_summary(workspace, name)
    assert stored is not None and stored["summary"]["name"] == "upload:sensors.csv:label=species"
    load_domain("upload:sensors.csv:label=none", workspace)  # a 3-feature unlabelled read
    assert upload_summary(workspace, name) == stored
    with (workspace.root / "uploads" / name).open("a") as handle:  # changed: the summary is stale
        handle.write("6,12,0\n")
    load_domain("upload:sensors.csv:label=none", workspace)
    summary = json.loads(_summary_file(workspace, name).read_text())["summary"]
    assert summary["name"] == "upload:sensors.csv:label=none"
    assert (summary["n_samples"], summary["shape"], summary["labelled"]) == (7, [3], False)


def test_list_scan_reads_the_uploads_without_a_summary(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    scans = save_upload(workspace, "scans.npz", _npz())
    rows = ["a,b,species", *(f"{i},{i * 2},{'xy'[i % 2]}" for i in range(6))]
    sensors = save_upload(workspace, "sensors.csv", ("\n".join(rows) + "\n").encode(), label="species")
    for name in (scans, sensors):
        _summary_file(workspace, name).unlink()
    argv = ["--workspace", str(workspace.root), "data", "list"]
    assert main(argv) == 0
    capsys.readouterr()
    assert _listed(workspace, scans) == _listed(workspace, sensors) == (None, None)  # listing reads nothing
    assert main([*argv, "--scan"]) == 0
    out, err = capsys.readouterr()
    assert _listed(workspace, scans) == (12, [1, 16, 16])
    assert _listed(workspace, sensors) == (None, None)  # its plain spec does not read it
    assert err.startswith("warning: upload:sensors.csv not read: upload:sensors.csv: non-numeric feature")
    assert "read the file as upload:sensors.csv:label=species" in " ".join(err.split())
    (line,) = [line for line in out.splitlines() if line.startswith("upload:scans.npz")]
    assert line.split()[2:4] == ["12", "1x16x16"]
