"""A run with AdaBN exports its model with the target's batch-normalisation statistics: on the whole
target domain, the written ONNX file gives the run's own target probabilities (``predictions.npz``,
``after``), which predict gives too, not those of the model before the transform (``before``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime

from tlcore.adapt.config import AdaptConfig
from tlcore.export import export_run
from tlcore.predict import load_data, load_run_model, predict_rows
from tlcore.runs.jobs import run_inline
from tlcore.workspace import Workspace


def test_an_adabn_run_exports_the_target_statistics(tmp_path: Path) -> None:
    workspace = Workspace.resolve(tmp_path / "workspace")
    target = "digits:n=60"
    methods = ("source_only", "adabn")
    config = AdaptConfig(source="mnist5k:n=90", target=target, methods=methods, model="lenet_bn", epochs=1)
    record = run_inline(workspace, config)
    assert record.status == "done", record.error
    folder = export_run(workspace, record.id, "onnx", tmp_path / "exported").folder
    trained = load_run_model(workspace, record.id)
    rows = predict_rows(trained, load_data(trained, target))
    assert rows.plan.keep is None
    x = rows.plan.samples(rows.domain.X).numpy()  # what predict feeds the model, in the domain's order
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    logits = session.run(["logits"], {"input": x})[0]
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    stored = np.load(workspace.runs / record.id / "predictions.npz")
    assert np.abs(p - stored["after"]).max() < 1e-5
    assert np.abs(p - np.concatenate([b.p for b in rows])).max() < 1e-5
    assert np.abs(p - stored["before"]).max() > 0.05  # not the model before the transform
