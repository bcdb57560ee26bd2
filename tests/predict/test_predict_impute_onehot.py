"""A run trained on tables read with ``missing=impute,text=onehot`` stores both the source's text values
and its column medians: a new file with a missing number and a missing text cell is predicted exactly as
the same file filled by hand (the number with the median, the text with a value the source never had),
and ``model.json`` lists the ``onehot`` step first and a ``fill`` step of the numeric columns after it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.predict.test_predict import read_back
from tests.predict.test_predict_cli import cli
from tests.predict.test_text_columns_predict import _table
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.predict import load_run_model
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace

BOTH = "missing=impute,text=onehot"


def test_missing_numbers_take_the_medians_and_missing_text_none_of_the_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _table(60, ("east", "north", "south"), 0).astype(object)
    source.loc[3, "x2"], source.loc[7, "region"] = "", None  # holes in the source too
    source.assign(label=np.where(source["region"] == "north", "hi", "lo")).to_csv(
        tmp_path / "s.csv", index=False
    )
    _table(30, ("north", "south"), 1).to_csv(tmp_path / "t.csv", index=False)
    workspace = Workspace.resolve(tmp_path / "workspace")
    config = AdaptConfig(
        source=f"{tmp_path / 's.csv'}:{BOTH}", target=f"{tmp_path / 't.csv'}:{BOTH}", epochs=1
    )
    record = run_inline(workspace, config)
    assert record.status == "done", record.error
    model = load_run_model(workspace, record.id).model
    assert model.categories == {"region": ("east", "north", "south")}
    x2 = pd.to_numeric(source["x2"], errors="coerce")
    medians = (float(np.median(source["x1"].astype(float))), 0.0, 0.0, 0.0, float(x2.median()))
    assert model.fill == pytest.approx(medians, abs=1e-6)  # of the float32 values read

    batch = _table(12, ("east", "north", "south"), 2)
    gaps, by_hand = batch.astype(object), batch.astype(object)
    gaps.loc[1, "x1"], by_hand.loc[1, "x1"] = "n/a", model.fill[0]
    gaps.loc[4, "region"], by_hand.loc[4, "region"] = None, "nowhere"  # none of the source's values
    gaps.loc[9, "x2"], by_hand.loc[9, "x2"] = "", model.fill[4]
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    by_hand.to_csv(tmp_path / "by_hand.csv", index=False)
    predicted = {}
    for name, options in (("gaps", BOTH), ("by_hand", "text=onehot")):
        out = tmp_path / f"{name}-predictions.csv"
        code, _, err = cli(
            workspace, capsys, record.id, "--data", f"{tmp_path / name}.csv:{options}", "--out", str(out)
        )
        assert code == 0, err
        predicted[name] = read_back(out)
    assert len(predicted["gaps"]) == 12
    pd.testing.assert_frame_equal(predicted["gaps"], predicted["by_hand"])

    exported = tmp_path / "exported"
    assert main(["--workspace", str(workspace.root), "export", record.id, "--out", str(exported)]) == 0
    steps = json.loads((exported / "model.json").read_text())["preprocessing"]
    assert [step["op"] for step in steps] == ["onehot", "features", "fill", "layout"]
    assert steps[2]["values"] == {"x1": model.fill[0], "x2": model.fill[4]}  # numeric columns only
