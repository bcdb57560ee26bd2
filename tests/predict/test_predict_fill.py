"""``predict`` on a table with holes (missing=impute): every row predicted, the holes filled with the
medians the model stored from its training source (exactly as filling them by hand); model.json carries
them; a model trained before they were stored refuses in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.predict.test_predict import read_back
from tests.predict.test_predict_cli import cli
from tlcore.adapt.config import AdaptConfig
from tlcore.checkpoints import load_checkpoint, save_checkpoint
from tlcore.cli import main
from tlcore.predict import load_run_model
from tlcore.runs.jobs import run_inline
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

HOLES = {(2, "px20"): "", (5, "px36"): "n/a", (5, "px43"): "#DIV/0!", (9, "px20"): "inf"}


def test_predict_fills_holes_with_the_stored_source_medians(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.datasets import load_digits  # noqa: PLC0415 - only this test needs it

    bunch = load_digits()
    frame = pd.DataFrame(bunch.data[:150], columns=[f"px{i}" for i in range(64)])
    frame.iloc[:100].assign(label=bunch.target[:100]).to_csv(tmp_path / "source.csv", index=False)
    target = frame.iloc[100:].reset_index(drop=True)
    target.to_csv(tmp_path / "target.csv", index=False)
    workspace = Workspace.resolve(tmp_path / "workspace")
    config = AdaptConfig(source=str(tmp_path / "source.csv"), target=str(tmp_path / "target.csv"), epochs=1)
    record = run_inline(workspace, config)
    assert record.status == "done", record.error
    model = load_run_model(workspace, record.id).model
    medians = dict(zip(frame.columns, np.median(frame.iloc[:100].to_numpy(), axis=0), strict=True))
    assert model.fill == tuple(medians.values())  # the training source's column medians, stored

    gaps = target.astype(object)
    by_hand = target.copy()
    for (row, column), text in HOLES.items():
        gaps.loc[row, column], by_hand.loc[row, column] = text, medians[column]
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    by_hand.to_csv(tmp_path / "by_hand.csv", index=False)
    predicted = {}
    for name, spec in (("gaps", "gaps.csv:missing=impute"), ("by_hand", "by_hand.csv")):
        out = tmp_path / f"{name}-predictions.csv"
        code, text, err = cli(workspace, capsys, record.id, "--data", str(tmp_path / spec), "--out", str(out))
        assert code == 0, err
        predicted[name] = read_back(out)
        notes = " ".join(text.split())
    assert len(predicted["gaps"]) == len(target) == 50  # one prediction per row
    pd.testing.assert_frame_equal(predicted["gaps"], predicted["by_hand"])
    code, text, _ = cli(workspace, capsys, record.id, "--data", f"{tmp_path / 'gaps.csv'}:missing=impute")
    notes = " ".join(text.split())
    assert code == 0 and "data: 4 cells of 3 columns missing, filled with the model's column medians" in notes

    gaps.iloc[[5]].assign(px43="").to_csv(tmp_path / "one.csv", index=False)  # no median of its own
    out = tmp_path / "one-predictions.csv"
    code, _, err = cli(
        workspace, capsys, record.id, "--data", f"{tmp_path / 'one.csv'}:missing=impute", "--out", str(out)
    )
    assert code == 0, err
    pd.testing.assert_frame_equal(
        read_back(out).drop(columns="id"),
        predicted["by_hand"].iloc[[5]].drop(columns="id").reset_index(drop=True),
    )

    exported = tmp_path / "exported"
    assert main(["--workspace", str(workspace.root), "export", record.id, "--out", str(exported)]) == 0
    steps = json.loads((exported / "model.json").read_text())["preprocessing"]
    (fill,) = [step for step in steps if step["op"] == "fill"]
    assert fill["values"] == medians

    path = RunStore(workspace).checkpoint_path(record.id)  # the same model, saved before medians were
    old, old_config = load_checkpoint(path)
    old.fill = ()
    save_checkpoint(path, old, old_config, old.classes)
    code, _, err = cli(workspace, capsys, record.id, "--data", f"{tmp_path / 'gaps.csv'}:missing=impute")
    assert code == 2 and err.splitlines() == [
        f"error: {tmp_path / 'gaps.csv'}:missing=impute has 4 missing cells and the model of run "
        f"{record.id} stores no column medians to fill them with (it was trained before they were stored); "
        "read the data with missing=drop"
    ]
