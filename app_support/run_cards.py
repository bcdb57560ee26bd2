"""A run card's cached readings, shared by every session of this server: its training curves (a
finished run's built once, an active run's (:class:`LiveCurves`) read from where the last refresh
stopped), its target accuracy label, network line and what its splits share with its source."""

from __future__ import annotations

import contextlib
import threading
from typing import Any, NamedTuple

import plotly.graph_objects as go
import streamlit as st

from app_support.engine import store, store_at, workspace
from tlcore.adapt.stages import baseline_reused
from tlcore.errors import TLError
from tlcore.runs.one_class import run_one_class_warning
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import read_result
from tlcore.runs.store import RunStore
from tlcore.views import compare, run_tables
from tlcore.views import curves as curve_figures


def curves(record: RunRecord, label: str) -> tuple[go.Figure | None, bool]:
    """The run's training curves (:func:`tlcore.views.curves.learning_curves` of
    :func:`tlcore.views.run_tables.curve_rows`, None before its first epoch) and whether its source-only
    baseline was reused from the cache (:func:`tlcore.adapt.stages.baseline_reused`). A finished
    run's figure is built once (its history never changes again): its stored result's history, the
    cached baseline's epochs included (older runs' event logs hold none), with its final model's
    scores. An active run's log (a cached baseline's epochs replayed first, so its points stay put when
    it ends) is read from where the last refresh stopped and its figure rebuilt only when an epoch
    ended since (QA: 8 runs of 500 epochs redrawn every 2 s made the Adapt page unresponsive)."""
    root = str(workspace().root)
    if not record.active:
        return _finished_curves(root, record.id, record.status == "done", label)
    return _live_curves(root, record.id).refresh(store(), label)


class LiveCurves:
    """An active run's epoch and stage events read so far, the log's offset after them, and its figure."""

    def __init__(self, run_id: str) -> None:
        self.run_id, self.offset, self.label = run_id, 0, ""
        self.events: list[dict[str, Any]] = []
        self.figure: go.Figure | None = None
        self._lock = threading.Lock()  # the sessions' fragments refresh it from their own threads

    def refresh(self, runs: RunStore, label: str) -> tuple[go.Figure | None, bool]:
        """Read the events written since the last refresh; the figure again if an epoch ended."""
        with self._lock:
            new, self.offset = runs.history_since(self.run_id, self.offset, kinds={"epoch", "stage"})
            self.events += new
            if any(e["kind"] == "epoch" for e in new) or label != self.label:
                rows = run_tables.curve_rows([e for e in self.events if e["kind"] == "epoch"])
                self.figure = curve_figures.learning_curves({label: rows}, "") if rows else None
                self.label = label
            return self.figure, baseline_reused(self.events)


@st.cache_resource(max_entries=16, show_spinner=False)
def _live_curves(root: str, run_id: str) -> LiveCurves:
    return LiveCurves(run_id)


@st.cache_resource(max_entries=64, show_spinner=False)
def _finished_curves(root: str, run_id: str, done: bool, label: str) -> tuple[go.Figure | None, bool]:
    finished = _finished(root, run_id, done)
    figure = curve_figures.learning_curves({label: finished.rows}, "") if finished.rows else None
    return figure, finished.reused


def finished(record: RunRecord) -> FinishedRun:
    """What the ended run's card shows besides its curves (:class:`FinishedRun`), read once per run:
    the target accuracy label (:func:`tlcore.views.compare.target_accuracy_label`), the network line
    (:func:`tlcore.views.run_tables.card_text`), what its splits share with its source and whether that
    sways it (:func:`tlcore.views.run_tables.shared_note`, :func:`~tlcore.views.run_tables.swayed`: its
    target accuracy reads too high, or of an unlabelled target its adaptation, gap or validators; None
    when they share none or its result does not record it) and whether it predicts one class for every
    sample of its unlabelled target (:func:`tlcore.runs.one_class.run_one_class_warning`)."""
    return _finished(str(workspace().root), record.id, record.status == "done")


class FinishedRun(NamedTuple):
    """What a finished run's card shows: its curve rows, target accuracy label, whether its baseline was
    reused, its network line, what its splits share with its source (with whether that sways it:
    :func:`~tlcore.views.run_tables.swayed`) and its one-class warning."""

    rows: list[dict[str, Any]]
    accuracy_label: str
    reused: bool
    network: str | None
    shared: tuple[str, bool] | None
    one_class: str | None


@st.cache_data(max_entries=64, show_spinner=False)
def _finished(root: str, run_id: str, done: bool) -> FinishedRun:
    """A finished run's :class:`FinishedRun`, from its stored result when it is done."""
    runs = store_at(root)
    result: dict[str, Any] = {}
    if done:
        with contextlib.suppress(TLError):  # an unreadable result: the epochs alone
            result = read_result(runs.folder(run_id))  # no index query: the panel's record says done
    events = runs.history(run_id, kinds={"epoch", "stage"})
    epochs = result.get("history") or [e for e in events if e["kind"] == "epoch"]
    rows = run_tables.curve_rows(epochs, result or None)
    shared = run_tables.shared_note(result)
    return FinishedRun(
        rows,
        compare.target_accuracy_label(result),
        baseline_reused(events),
        run_tables.card_text(result),
        shared and (shared, run_tables.swayed(result)),
        run_one_class_warning(runs.folder(run_id), result) if result else None,
    )
