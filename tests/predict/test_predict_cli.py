"""``python -m tlcore predict`` on a real (tiny) run: summaries, files, and one-line errors."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.predict.conftest import DIGITS
from tests.predict.test_predict import read_back, scans_upload
from tlcore.adapt.config import AdaptConfig
from tlcore.checkpoints import load_checkpoint, save_checkpoint
from tlcore.cli import main
from tlcore.data import save_upload
from tlcore.predict import load_run_model
from tlcore.runs.jobs import run_inline
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), "predict", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_and_json_of_a_labelled_domain(
    tiny_run: tuple[Workspace, str], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, run_id = tiny_run
    code, text, _ = cli(workspace, capsys, run_id, "--data", "digits:n=30")
    assert code == 0
    assert text.startswith(f"run {run_id} on digits:n=30: 30 labelled samples\n")
    assert "mean confidence" in text and "\n  accuracy " in text and "unlabelled" not in text
    code, out, _ = cli(workspace, capsys, run_id, "--data", "digits:n=30", "--json", "--batch-size", "8")
    payload = json.loads(out)
    assert code == 0 and payload["n_samples"] == 30 and sum(payload["counts"].values()) == 30
    assert payload["classes"] == list(DIGITS) and payload["out"] is None
    assert 0.0 <= payload["accuracy"] <= 1.0 and len(payload["least_confident"]) == 20
    # a confidence is a share: a percent as the Predict page's card shows it (it read 0.xxx); --json full
    confidence = payload["mean_confidence"]
    assert f"\n  mean confidence {round(100 * confidence, 1):.1f}%\n" in text
    assert confidence != round(confidence, 3)


def test_unlabelled_upload_to_parquet_keeps_file_names(
    tiny_run: tuple[Workspace, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    workspace, run_id = tiny_run
    names = [f"export/scans/{i}.png" for i in (3, 1, 2)]
    spec = scans_upload(workspace, names)
    out_path = tmp_path / "scans.parquet"
    code, out, _ = cli(workspace, capsys, run_id, "--data", spec, "--out", str(out_path))
    assert code == 0 and out.rstrip().endswith(f"wrote 3 rows to {out_path}")
    assert "note: data: 3 image files resized to 28x28 keeping the aspect ratio, centre-cropped" in out
    # no accuracy, and the confidence before it is no accuracy either (audit helper-275)
    unknown = "the data is unlabelled: the mean confidence is the model's own certainty, not an accuracy"
    assert f"\n  accuracy - ({unknown})\n" in out.replace("\n           ", " ")
    frame = read_back(out_path)
    assert frame["id"].tolist() == sorted(names) and "label" not in frame  # a zip upload: by name
    code, out, _ = cli(workspace, capsys, run_id, "--data", spec, "--out", str(tmp_path / "s.csv"), "--json")
    assert code == 0 and json.loads(out)["out"] == str(tmp_path / "s.csv")
    pd.testing.assert_frame_equal(read_back(tmp_path / "s.csv"), frame)


def test_a_long_note_wraps_to_the_terminal_under_its_label(
    tiny_run: tuple[Workspace, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note line (81 columns after "  note: ") wraps to a 60-column terminal as every other
    sentence the CLI prints does, its later lines hanging under the note's text."""
    workspace, run_id = tiny_run
    spec = scans_upload(workspace, [f"export/scans/{i}.png" for i in range(3)])
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = cli(workspace, capsys, run_id, "--data", spec)
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  note: "))
    assert code == 0 and lines[start : start + 2] == [
        "  note: data: 3 image files resized to 28x28 keeping the",
        "        aspect ratio, centre-cropped",
    ]


def test_checkpoints_record_class_names_and_old_ones_still_load(
    tiny_run: tuple[Workspace, str], tmp_path: Path
) -> None:
    workspace, run_id = tiny_run
    store = RunStore(workspace)
    assert store.result(run_id)["classes"] == list(DIGITS)
    model, config = load_checkpoint(store.checkpoint_path(run_id))
    assert model.classes == DIGITS
    old = Workspace.resolve(tmp_path / "old")  # a copy of the run whose checkpoint predates class names
    old_store = RunStore(old)
    old_id = old_store.create(AdaptConfig.from_dict(config))
    result = {key: value for key, value in store.result(run_id).items() if key != "classes"}
    old_store.start(old_id, pid=os.getpid())
    old_store.finish(old_id, result, lambda path: save_checkpoint(path, model, config))
    assert load_checkpoint(old_store.checkpoint_path(old_id))[0].classes == ()
    assert load_run_model(old, old_id).classes == DIGITS  # from the result's UMAP payload


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["20200101-000000-abcdef", "--data", "digits"], "no run 20200101-000000-abcdef"),
        (["RUN", "--data", "no_such_domain"], "unknown domain 'no_such_domain'"),
        (["RUN", "--data", "TMP/table.csv"], "cannot pair images with feature vectors"),
        (["RUN", "--data", "digits", "--batch-size", "0"], "batch size must be at least 1"),
        (
            ["RUN", "--data", "digits", "--out", "TMP/p.txt"],
            "p.txt: predictions are written as .csv or .parquet",
        ),
        (["RUN", "--data", "digits", "--out", "TMP/missing/p.csv"], "no folder"),
        (["RUN", "--data", "digits", "--out", ""], "no file named to write the predictions to"),  # QA: exit 0
    ],
)
def test_errors_are_one_line_exit_2_and_write_nothing(
    tiny_run: tuple[Workspace, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    message: str,
) -> None:
    workspace, run_id = tiny_run
    (tmp_path / "table.csv").write_text("a,b\n1,2\n3,4\n")
    argv = [run_id if a == "RUN" else a.replace("TMP", str(tmp_path)) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "p.csv")]
    code, out, err = cli(workspace, capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: ")
    assert message in err
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_a_run_that_is_not_done_has_no_predictions(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = RunStore(workspace).create(AdaptConfig(source="mnist5k", target="digits"))
    code, out, err = cli(workspace, capsys, run_id, "--data", "digits")
    assert code == 2 and out == "" and err == f"error: run {run_id} is queued: only a done run has a model\n"


def test_a_table_model_takes_its_columns_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model trained on a CSV with a header predicts a file whose columns come in another order
    (and with an extra one) exactly as the original; model.json names the columns; one missing is
    refused in one line."""
    from sklearn.datasets import load_digits  # noqa: PLC0415 - only this test needs it

    bunch = load_digits()
    frame = pd.DataFrame(bunch.data[:160], columns=[f"px{i}" for i in range(64)])
    labelled = frame.assign(label=bunch.target[:160])
    labelled.iloc[:100].to_csv(tmp_path / "source.csv", index=False)
    frame.iloc[100:].to_csv(tmp_path / "target.csv", index=False)
    shuffled = frame.iloc[100:][list(reversed(frame.columns))].assign(batch=7)
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    shuffled.drop(columns=["px5"]).to_csv(tmp_path / "short.csv", index=False)
    workspace = Workspace.resolve(tmp_path / "workspace")
    config = AdaptConfig(source=str(tmp_path / "source.csv"), target=str(tmp_path / "target.csv"), epochs=1)
    record = run_inline(workspace, config)
    assert record.status == "done", record.error
    assert load_run_model(workspace, record.id).model.columns == tuple(frame.columns)
    frames = {}
    for name in ("target", "shuffled"):
        out = tmp_path / f"{name}-predictions.csv"
        data = str(tmp_path / f"{name}.csv")
        code, text, _ = cli(workspace, capsys, record.id, "--data", data, "--out", str(out))
        assert code == 0, text
        frames[name] = read_back(out)
    assert "note: data: feature columns taken by name, in the model's order" in text
    assert "note: data columns unknown to the model ignored: batch" in text
    pd.testing.assert_frame_equal(frames["shuffled"], frames["target"])
    assert frames["target"]["predicted"].nunique() > 1  # predictions that could differ
    gaps = frame.iloc[100:].astype(object).assign(px3=lambda f: f["px3"].where(f.index != 104, "#DIV/0!"))
    gaps.to_csv(tmp_path / "gaps.csv", index=False)  # data row 4, line 6 of the file: predicted without it
    out = tmp_path / "gaps-predictions.csv"
    code, text, _ = cli(
        workspace, capsys, record.id, "--data", f"{tmp_path / 'gaps.csv'}:missing=drop", "--out", str(out)
    )
    note = "note: data: 1 row with a missing or non-numeric cell dropped (missing=drop: line 6 of the file"
    note += " (id 4))"  # the id the predictions file would have given it
    assert code == 0 and f"{note}, not predicted" in " ".join(text.split())  # wrapped to the terminal
    pd.testing.assert_frame_equal(read_back(out), frames["target"].drop(index=4).reset_index(drop=True))
    code, _, err = cli(workspace, capsys, record.id, "--data", str(tmp_path / "short.csv"))
    assert code == 2 and err.splitlines() == [
        f"error: {tmp_path / 'short.csv'} lacks feature columns of the model of run {record.id}: px5 "
        f"(columns match by name; it has batch, which the model of run {record.id} does not name: a column "
        "renamed upstream takes back its old name in the file)"
    ]
    exported = tmp_path / "exported"
    card = main(["--workspace", str(workspace.root), "export", record.id, "--out", str(exported)])
    features = json.loads((exported / "model.json").read_text())["preprocessing"][0]
    assert card == 0 and features["columns"] == list(frame.columns)


def test_blank_data_are_warned_of_on_stderr_and_in_json(
    tiny_run: tuple[Workspace, str], capsys: pytest.CaptureFixture[str]
) -> None:
    workspace, run_id = tiny_run
    buffer = io.BytesIO()
    np.savez(buffer, X=np.zeros((12, 1, 28, 28), dtype=np.float32))  # no ink in any image
    spec = f"upload:{save_upload(workspace, 'empty.npz', buffer.getvalue())}"
    code, out, err = cli(workspace, capsys, run_id, "--data", spec)
    warning = f"warning: 12 of 12 {spec} images are blank (no ink) and still each get a class from a model"
    assert code == 0 and err.startswith(warning) and "12 unlabelled samples" in out
    code, out, _ = cli(workspace, capsys, run_id, "--data", spec, "--json")
    assert code == 0 and json.loads(out)["blank"] == err.splitlines()[0].removeprefix("warning: ")
    code, out, err = cli(workspace, capsys, run_id, "--data", "digits:n=30", "--json")
    assert code == 0 and json.loads(out)["blank"] is None and "warning" not in err
