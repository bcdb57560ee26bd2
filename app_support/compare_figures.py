"""Compare's figures of the compared runs, cached by the runs' ids: a done run's result never changes,
so a figure is built once per server and only drawn at the page's later runs (helper-255: building
them, Plotly checking every property of 8 figures, was most of each Compare rerun: a click on
"Colour by" or a flow rebuilt all of them). Every figure is that of :mod:`tlcore.views.compare` or
:mod:`tlcore.views.gaps` of :func:`app_support.engine.results` of the ids, as given in order."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from app_support import engine
from tlcore.views import compare, gaps


def accuracy(run_ids: tuple[str, ...]) -> go.Figure | None:
    """:func:`~tlcore.views.compare.accuracy_figure`; None when no run's target is labelled."""
    return _accuracy(str(engine.workspace().root), run_ids)


def gap(run_ids: tuple[str, ...]) -> go.Figure:
    """:func:`~tlcore.views.gaps.gap_figure`."""
    return _gap(str(engine.workspace().root), run_ids)


def umap(run_ids: tuple[str, ...], label: str, colour_by: str) -> tuple[go.Figure, go.Figure]:
    """:func:`~tlcore.views.compare.umap_figures` of the run named ``label``."""
    return _umap(str(engine.workspace().root), run_ids, label, colour_by)


def per_class(run_ids: tuple[str, ...]) -> go.Figure | None:
    """:func:`~tlcore.views.compare.per_class_figure`."""
    return _per_class(str(engine.workspace().root), run_ids)


def confusions(run_ids: tuple[str, ...], shown: tuple[str, ...]) -> dict[str, go.Figure]:
    """:func:`~tlcore.views.compare.confusion_figures` of the runs named ``shown``."""
    return _confusions(str(engine.workspace().root), run_ids, shown)


@st.cache_resource(max_entries=16, show_spinner=False)
def _accuracy(root: str, run_ids: tuple[str, ...]) -> go.Figure | None:
    results = engine.results(run_ids)
    return compare.accuracy_figure(results) if compare.accuracies(results)[0] else None


@st.cache_resource(max_entries=16, show_spinner=False)
def _gap(root: str, run_ids: tuple[str, ...]) -> go.Figure:
    return gaps.gap_figure(engine.results(run_ids))


@st.cache_resource(max_entries=16, show_spinner=False)
def _umap(root: str, run_ids: tuple[str, ...], label: str, colour_by: str) -> tuple[go.Figure, go.Figure]:
    return compare.umap_figures(engine.results(run_ids)[label], colour_by)


@st.cache_resource(max_entries=16, show_spinner=False)
def _per_class(root: str, run_ids: tuple[str, ...]) -> go.Figure | None:
    return compare.per_class_figure(engine.results(run_ids))


@st.cache_resource(max_entries=32, show_spinner=False)
def _confusions(root: str, run_ids: tuple[str, ...], shown: tuple[str, ...]) -> dict[str, go.Figure]:
    return compare.confusion_figures(engine.results(run_ids), shown)
