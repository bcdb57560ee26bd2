"""The Predict page's "Every class's probability" box: off, the CSV is ``predict``'s default; ticked,
the download is ``predict --probabilities all``'s file, the model's softmax one column per class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import npz_bytes
from tlcore.adapt.config import AdaptConfig
from tlcore.cli import main
from tlcore.data import save_upload
from tlcore.predict import Predictions, load_data, load_run_model, predict_rows
from tlcore.runs import jobs
from tlcore.workspace import Workspace

OpenApp = Callable[..., AppTest]
CLASSES = ["sea lion", "id", "Sea-Lion"]


def downloads(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_the_box_adds_every_classs_probability_to_the_download(
    app: OpenApp, workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ws = Workspace.resolve(workspace)
    spec = f"upload:{save_upload(ws, 'zoo.npz', npz_bytes(CLASSES, n=12))}"
    record = jobs.run_inline(ws, AdaptConfig(source=spec, target=spec, methods=("source_only",), epochs=1))
    assert record.status == "done", record.error
    passes: list[int] = []
    run_model = Predictions.__iter__
    monkeypatch.setattr(
        Predictions, "__iter__", lambda self: passes.append(self.n_samples) or run_model(self)
    )
    at = app("predict", source=spec, target=spec)
    at.button[[b.label for b in at.button].index("Predict every sample")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert passes == [12]
    box = at.checkbox(key="predict_all_probabilities")
    assert box.label == "Every class's probability" and box.value is False
    assert downloads(at) == ["Predictions, one row per sample (CSV, 12 rows)"]
    folder = ws.root / "predictions" / record.id
    (default,) = folder.glob("*.csv")  # samples x classes cells are written only when asked for
    assert "p_sea_lion" not in pd.read_csv(default).columns

    box.check().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert passes == [12]  # written from the outputs the prediction kept: the model is not run again
    assert downloads(at) == ["Predictions, one row per sample (CSV, 12 rows, every class)"]
    every = default.with_name(default.name.replace(".csv", "-all.csv"))
    assert sorted(folder.glob("*.csv")) == sorted([default, every])
    frame = pd.read_csv(every)
    columns = ["p_sea_lion", "p_id", "p_Sea_Lion_2"]  # the model's class order; alike ignoring case
    assert list(frame.columns[-3:]) == columns and frame["id"].tolist() == list(range(12))
    trained = load_run_model(ws, record.id)
    softmax = np.concatenate([batch.p for batch in predict_rows(trained, load_data(trained, spec, ws))])
    np.testing.assert_allclose(frame[columns].to_numpy(), softmax, rtol=1e-9)  # the CLI's numbers
    pd.testing.assert_frame_equal(frame[pd.read_csv(default).columns], pd.read_csv(default))
    for kind, written in (("top3", default), ("all", every)):  # the bytes of `predict --out`
        out = tmp_path / f"cli-{kind}.csv"
        argv = ["--workspace", str(ws.root), "predict", record.id, "--data", spec, "--probabilities", kind]
        assert main([*argv, "--out", str(out)]) == 0
        assert written.read_bytes() == out.read_bytes()

    box.uncheck().run()
    assert downloads(at) == ["Predictions, one row per sample (CSV, 12 rows)"]
