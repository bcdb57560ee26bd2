"""Where done runs' target predictions moved (``python -m tlcore runs changes``), cached per
workspace, run and the run compared against, for the Compare page and its report."""

from __future__ import annotations

import streamlit as st

from app_support import engine
from tlcore.data import Domain
from tlcore.runs.changes import RunChanges, moved_runs, predicted_samples, run_changes


def changes(run_id: str, against: str | None = None) -> RunChanges:
    """Where a done run's target predictions moved (``python -m tlcore runs changes ID``)."""
    return _changes(str(engine.workspace().root), run_id, against)


def changed_samples(run: RunChanges) -> Domain | None:
    """The target samples ``run`` covers (:func:`tlcore.runs.changes.predicted_samples`), or None."""
    return _changed_samples(str(engine.workspace().root), run.run_id, run.against)


def moved(run_ids: list[str]) -> list[tuple[RunChanges, Domain | None]]:
    """Each run's changes from its source-only model and the samples they cover (for the report;
    :func:`tlcore.runs.changes.moved_runs` with the cached readers the page's other views share);
    runs that stored no predictions are left out."""
    return moved_runs(run_ids, changes, changed_samples)


@st.cache_resource(max_entries=8, show_spinner="Reading the runs' predictions…")
def _changes(root: str, run_id: str, against: str | None) -> RunChanges:
    return run_changes(engine.store_at(root), run_id, against)


@st.cache_resource(max_entries=4, show_spinner="Loading the target samples…")
def _changed_samples(root: str, run_id: str, against: str | None) -> Domain | None:
    return predicted_samples(engine.store_at(root), _changes(root, run_id, against))
