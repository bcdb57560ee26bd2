"""Cached calls for the Predict page: a run's predictions on a domain, and its exported model.

Both write only inside the workspace (``predictions/<run>/`` and ``exports/``), through the engine's
own atomic writers, and are cached per (workspace, run, spec or format): a run's model never changes.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import shutil
import zipfile
from pathlib import Path

import streamlit as st

from app_support import engine
from tlcore.export import export_run
from tlcore.model_card import ModelCard
from tlcore.predict import PredictionBatch, load_data, load_run_model, predict_rows
from tlcore.prediction_files import write_predictions
from tlcore.prediction_summary import PredictionSummary
from tlcore.run_model_options import DEFAULT_PROBABILITIES, Probabilities
from tlcore.workspace import Workspace

_UNSAFE = re.compile(r"[^\w.-]+")


def predict(run_id: str, spec: str) -> tuple[PredictionSummary, Path, tuple[str, ...]]:
    """The summary of ``run_id``'s predictions for every sample of ``spec``, the CSV holding them
    (``predict``'s default file) and the notes on what reading the data changed (``predict``'s ``note:``
    lines)."""
    summary, path, notes = _predict(str(engine.workspace().root), run_id, spec)
    return summary, Path(path), notes


def every_class(run_id: str, spec: str) -> Path:
    """The CSV of :func:`predict`'s predictions with every class's p, as ``predict --probabilities all``
    writes it: written on request only (samples x classes cells), from the model outputs :func:`predict`
    kept, so ticking the box after predicting does not run the model again."""
    return Path(_every_class(str(engine.workspace().root), run_id, spec))


@st.cache_resource(max_entries=2, show_spinner="Predicting every sample…")
def _outputs(root: str, run_id: str, spec: str) -> tuple[tuple[PredictionBatch, ...], tuple[str, ...]]:
    """One run of the model over every sample of ``spec``: its batches (read, never changed) and the notes;
    kept for the latest predictions only (each holds samples x classes probabilities)."""
    workspace = Workspace.resolve(root)
    trained = load_run_model(workspace, run_id)
    rows = predict_rows(trained, load_data(trained, spec, workspace, allow_paths=False))
    return tuple(rows), tuple(rows.notes())


@st.cache_data(max_entries=8, show_spinner=False)
def _predict(root: str, run_id: str, spec: str) -> tuple[PredictionSummary, str, tuple[str, ...]]:
    batches, notes = _outputs(root, run_id, spec)
    path = _csv(root, run_id, spec, DEFAULT_PROBABILITIES)
    return write_predictions(path, batches), str(path), notes


@st.cache_data(max_entries=8, show_spinner="Writing every class's probability…")
def _every_class(root: str, run_id: str, spec: str) -> str:
    path = _csv(root, run_id, spec, "all")
    write_predictions(path, _outputs(root, run_id, spec)[0], probabilities="all")
    return str(path)


def _csv(root: str, run_id: str, spec: str, probabilities: Probabilities) -> Path:
    """Where the predictions of ``run_id`` for ``spec`` holding ``probabilities`` are written, in the
    workspace's ``predictions/<run>/`` (made if missing)."""
    digest = hashlib.sha256(spec.encode()).hexdigest()[:10]
    kind = "" if probabilities == DEFAULT_PROBABILITIES else f"-{probabilities}"
    name = f"{_UNSAFE.sub('_', spec).strip('._')[:60] or 'data'}-{digest}{kind}.csv"
    path = Workspace.resolve(root).subdir("predictions") / run_id / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def export_zip(run_id: str, fmt: str) -> tuple[bytes, ModelCard]:
    """The run's model exported as ``fmt`` (``onnx`` or ``torchscript``) with its ``model.json``, zipped
    in the folder ``RUN-FORMAT/``, and that card."""
    return _export_zip(str(engine.workspace().root), run_id, fmt)


@st.cache_data(max_entries=4, show_spinner="Exporting and checking the model…")
def _export_zip(root: str, run_id: str, fmt: str) -> tuple[bytes, ModelCard]:
    workspace = Workspace.resolve(root)
    out = workspace.subdir("exports") / f"{run_id}-{fmt}-{secrets.token_hex(3)}"
    try:
        result = export_run(workspace, run_id, fmt, out)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(out.iterdir()):
                archive.write(file, f"{run_id}-{fmt}/{file.name}")
        return buffer.getvalue(), result.card
    finally:
        shutil.rmtree(out, ignore_errors=True)  # the zip is the deliverable; the folder was a step
