"""``diagnose --held-out``: a text column's missing and new shares are the held-out split's, as every
other number of that run is, not the whole paired target's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import load_run_pair
from tlcore.cli import main
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace


def test_a_text_columns_missing_and_new_shares_are_the_splits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    x, city = rng.normal(size=60).round(3), rng.choice(["north", "south"], 60)
    pd.DataFrame({"x": x, "city": city, "label": ["a", "b"] * 30}).to_csv(tmp_path / "s.csv", index=False)
    target = pd.DataFrame(
        {"x": rng.normal(size=60).round(3), "city": rng.choice(["north", "south", "west"], 60)}
    )
    target.loc[:29, "city"] = None  # the whole target: half its cells missing
    target.to_csv(tmp_path / "t.csv", index=False)
    config = AdaptConfig(
        source=f"{tmp_path / 's.csv'}:text=onehot",
        target=f"{tmp_path / 't.csv'}:text=onehot,missing=impute",
        epochs=1,
    )
    workspace = Workspace.resolve(tmp_path / "workspace")
    record = run_inline(workspace, config)
    assert record.status == "done", record.error
    rows = target.loc[[int(i) for i in load_run_pair(config, workspace).target_test.ids], "city"]
    missing, new = rows.isna().mean(), (rows == "west").mean()
    assert (len(rows), missing, new) == (12, 4 / 12, 3 / 12)  # the split's: not the whole target's 1/2
    argv = ["--workspace", str(workspace.root), "diagnose", "--features", f"run:{record.id}", "--held-out"]
    assert main([*argv, "--json", "--no-umap"]) == 0
    (column,) = [
        c for c in json.loads(capsys.readouterr().out)["explanation"]["columns"] if c["name"] == "city"
    ]
    assert (column["target_missing"], column["target_new"]) == (pytest.approx(missing), pytest.approx(new))
