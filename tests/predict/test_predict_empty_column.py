"""``predict`` on a file holding a column empty in every row (kept by ``missing=impute``) that the
model never had: its note says the column is empty and the model was trained without it, apart from
the plain note on the other columns it does not know."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace


def test_an_empty_column_the_model_never_had_is_named_as_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    source = pd.DataFrame({"a": rng.normal(size=40), "c": rng.normal(size=40), "label": ["x", "y"] * 20})
    source.to_csv(tmp_path / "s.csv", index=False)
    source.drop(columns="label").iloc[:20].to_csv(tmp_path / "t.csv", index=False)
    new = source.drop(columns="label").iloc[:5].assign(batch=7, empty=None)
    new.to_csv(tmp_path / "new.csv", index=False)
    workspace = Workspace.resolve(tmp_path / "workspace")
    config = AdaptConfig(source=str(tmp_path / "s.csv"), target=str(tmp_path / "t.csv"), epochs=1)
    record = run_inline(workspace, config)
    assert record.status == "done", record.error
    data = f"{tmp_path / 'new.csv'}:missing=impute"
    assert main(["--workspace", str(workspace.root), "predict", record.id, "--data", data]) == 0
    notes = [line.strip() for line in capsys.readouterr().out.splitlines() if "note:" in line]
    assert notes == [
        "note: data columns unknown to the model ignored: batch",
        "note: data: column 'empty' is empty in every row and the model was trained without it: ignored",
    ]
