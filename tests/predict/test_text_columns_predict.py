"""A run trained on tables read with ``text=onehot`` keeps the source's values: a new file with the same
text column, in another column order, is predicted exactly as the harmonised target, a value the
source never had is named in a note, and ``model.json`` lists the values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.predict.test_predict import read_back
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.data.harmonise import harmonise
from tlcore.data.spec import load_sides
from tlcore.predict import load_run_model
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace


def _table(n: int, regions: tuple[str, ...], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(regions, n)
    x1 = rng.normal(size=n) + (region == "north") * 2.0
    return pd.DataFrame({"x1": x1.round(3), "region": region, "x2": rng.normal(size=n).round(3)})


def test_a_new_file_is_predicted_as_the_harmonised_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _table(60, ("east", "north", "south"), 0)
    source.assign(label=np.where(source["region"] == "north", "hi", "lo")).to_csv(
        tmp_path / "s.csv", index=False
    )
    target = _table(30, ("north", "south", "west"), 1)
    target.to_csv(tmp_path / "t.csv", index=False)
    target[["x2", "region", "x1"]].to_csv(tmp_path / "batch.csv", index=False)  # another column order
    specs = {name: f"{tmp_path / name}.csv:text=onehot" for name in ("s", "t", "batch")}
    workspace = Workspace.resolve(tmp_path / "workspace")
    record = run_inline(workspace, AdaptConfig(source=specs["s"], target=specs["t"], epochs=5))
    assert record.status == "done", record.error
    trained = load_run_model(workspace, record.id)
    assert trained.model.categories == {"region": ("east", "north", "south")}
    assert trained.model.columns == ("x1", "region=east", "region=north", "region=south", "x2")

    out = tmp_path / "batch-predictions.csv"
    code = main(
        [
            "--workspace",
            str(workspace.root),
            "predict",
            record.id,
            "--data",
            specs["batch"],
            "--out",
            str(out),
        ]
    )
    text = " ".join(capsys.readouterr()[0].split())
    n_west = int((target["region"] == "west").sum())
    assert (
        code == 0
        and (
            f"note: data: {n_west} samples with text values the model never had, read as none of its values "
            f"(their 0/1 columns all 0): region: west ({n_west})"
        )
        in text
    )
    # the file holds no east row: no news for any row's prediction, so unsaid; a pair's target says it
    assert "east" not in text and "holds no sample" not in text
    predicted = read_back(out)
    _, harmonised = harmonise(*load_sides(specs["s"], specs["t"]))
    assert (
        "target holds no sample of the source's text values region=east: their columns all 0"
        in harmonised.meta["pair_report"].lines()
    )
    with torch.no_grad():
        logits = trained.model.eval()(harmonised.X)[0]
    expected = [trained.classes[i] for i in logits.argmax(1).tolist()]
    assert predicted["predicted"].tolist() == expected
    assert predicted["p1"].to_numpy() == pytest.approx(
        torch.softmax(logits, 1).max(1).values.numpy(), abs=1e-6
    )
    assert len(set(expected)) > 1  # predictions that could differ

    exported = tmp_path / "exported"
    assert main(["--workspace", str(workspace.root), "export", record.id, "--out", str(exported)]) == 0
    onehot = json.loads((exported / "model.json").read_text())["preprocessing"][0]
    assert onehot["op"] == "onehot" and onehot["categories"] == {"region": ["east", "north", "south"]}
