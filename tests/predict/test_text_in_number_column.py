"""A file of one row whose number column holds text is read (``text=onehot``) as a text column of one
value: predicting it names that column and its text, not "lacks feature columns"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace


def test_text_in_the_only_row_of_a_number_column_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    city = rng.choice(["north", "south"], 40)
    source = pd.DataFrame({"age": rng.integers(20, 60, 40), "city": city, "label": ["a", "b"] * 20})
    source.to_csv(tmp_path / "s.csv", index=False)
    source.drop(columns="label").iloc[:20].to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"age": ["abc"], "city": ["north"]}).to_csv(tmp_path / "one.csv", index=False)
    workspace = Workspace.resolve(tmp_path / "workspace")
    specs = {name: f"{tmp_path / name}.csv:text=onehot" for name in ("s", "t", "one")}
    record = run_inline(workspace, AdaptConfig(source=specs["s"], target=specs["t"], epochs=1))
    assert record.status == "done", record.error
    code = main(["--workspace", str(workspace.root), "predict", record.id, "--data", specs["one"]])
    assert code == 2 and capsys.readouterr().err.splitlines() == [
        f"error: {specs['one']}: column 'age' holds text ('abc') in its only row, where the model of run "
        f"{record.id} reads numbers: write a number in its cell, or leave it empty and read the file with "
        "the spec option missing=impute"
    ]
