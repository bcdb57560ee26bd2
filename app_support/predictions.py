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
from tlcore.predict import load_data, load_run_model, predict_rows
from tlcore.prediction_files import write_prediction_files
from tlcore.prediction_summary import PredictionSummary
from tlcore.run_model_options import DEFAULT_PROBABILITIES, PROBABILITIES, Probabilities
from tlcore.workspace import Workspace

_UNSAFE = re.compile(r"[^\w.-]+")


def predict(run_id: str, spec: str) -> tuple[PredictionSummary, dict[Probabilities, Path], tuple[str, ...]]:
    """The summary of ``run_id``'s predictions for every sample of ``spec``, the CSVs holding them, by the
    probabilities they hold (``predict``'s default file, and ``"all"``: with every class's p, as
    ``predict --probabilities all`` writes it), both from one run of the model, and the notes on what
    reading the data changed (``predict``'s ``note:`` lines)."""
    summary, paths, notes = _predict(str(engine.workspace().root), run_id, spec)
    return summary, {probabilities: Path(path) for probabilities, path in paths.items()}, notes


@st.cache_data(max_entries=8, show_spinner="Predicting every sample…")
def _predict(
    root: str, run_id: str, spec: str
) -> tuple[PredictionSummary, dict[Probabilities, str], tuple[str, ...]]:
    workspace = Workspace.resolve(root)
    trained = load_run_model(workspace, run_id)
    domain = load_data(trained, spec, workspace, allow_paths=False)
    digest = hashlib.sha256(spec.encode()).hexdigest()[:10]
    stem = f"{_UNSAFE.sub('_', spec).strip('._')[:60] or 'data'}-{digest}"
    folder = workspace.subdir("predictions") / run_id
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        probabilities: folder
        / f"{stem}{'' if probabilities == DEFAULT_PROBABILITIES else f'-{probabilities}'}.csv"
        for probabilities in PROBABILITIES
    }
    rows = predict_rows(trained, domain)
    summary = write_prediction_files(paths, rows)
    return summary, {probabilities: str(path) for probabilities, path in paths.items()}, tuple(rows.notes())


def export_zip(run_id: str, fmt: str) -> bytes:
    """The run's model exported as ``fmt`` (``onnx`` or ``torchscript``) with its ``model.json``, zipped."""
    return _export_zip(str(engine.workspace().root), run_id, fmt)


@st.cache_data(max_entries=4, show_spinner="Exporting and checking the model…")
def _export_zip(root: str, run_id: str, fmt: str) -> bytes:
    workspace = Workspace.resolve(root)
    out = workspace.subdir("exports") / f"{run_id}-{fmt}-{secrets.token_hex(3)}"
    try:
        export_run(workspace, run_id, fmt, out)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(out.iterdir()):
                archive.write(file, f"{run_id}-{fmt}/{file.name}")
        return buffer.getvalue()
    finally:
        shutil.rmtree(out, ignore_errors=True)  # the zip is the deliverable; the folder was a step
