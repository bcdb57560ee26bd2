"""Diagnose's figures, cached by what they are drawn from: each is built once per diagnosis and only
drawn at the page's later runs (helper-261: building them, Plotly checking every property, was most of
each Diagnose rerun, and a click on "Colour by" or a widget elsewhere rebuilt all of them).

A step's result is named by its page key (workspace, specs, feature space) and when it was computed
(:attr:`tlcore.diagnosis_cache.Cached.computed`): "Recompute" or a cleared cache computes it anew, at
another time, so its figures are built anew. Each figure is that of its :mod:`tlcore.views` builder."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_support import engine
from tlcore.diagnosis import GapReport
from tlcore.diagnosis_cache import Cached
from tlcore.explain.columns import ColumnDrift
from tlcore.explain.result import Explanation
from tlcore.features import UMAPResult
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate
from tlcore.views import class_gaps, explain_figures, explore, figures, umap_figure

Page = tuple[str, str, str]  # source spec, target spec, feature space ("raw" or a run id)


def class_gap(page: Page, measured: Cached[GapReport]) -> go.Figure | None:
    """:func:`~tlcore.views.class_gaps.class_gap_figure` of the gap report ``measured``."""
    return _figure("class_gap", _key(page, measured), partial(class_gaps.class_gap_figure, measured.value))


def columns(page: Page, told: Cached[Explanation], drifted: Sequence[ColumnDrift]) -> go.Figure:
    """:func:`~tlcore.views.explain_figures.columns_figure` of ``drifted``, the explanation ``told``'s
    drifted columns (:func:`~tlcore.views.column_table.drifted_columns`)."""
    return _figure("columns", _key(page, told), partial(explain_figures.columns_figure, drifted))


def findings(page: Page, told: Cached[Explanation]) -> go.Figure:
    """:func:`~tlcore.views.explain_figures.findings_figure` of the explanation's firing findings."""
    return _figure("findings", _key(page, told), partial(explain_figures.findings_figure, told.value.firing))


def mean_images(page: Page, told: Cached[Explanation]) -> go.Figure:
    """:func:`~tlcore.views.explain_figures.mean_images_figure` of the explanation's mean images, named
    by the page's specs."""
    build = partial(explain_figures.mean_images_figure, told.value.mean_images, page[0], page[1])
    return _figure("mean_images", _key(page, told), build)


def class_proportions(shift: LabelShiftEstimate) -> go.Figure:
    """:func:`~tlcore.views.explain_figures.class_proportions_figure` of ``shift`` (a few numbers per
    class: keyed on them, hashed)."""
    return _proportions(str(engine.workspace().root), shift)


def umap(
    page: Page,
    measured: Cached[GapReport],
    projected: Cached[UMAPResult],
    points: pd.DataFrame,
    *,
    colour_by: str,
    classes: Sequence[str],
) -> go.Figure:
    """:func:`~tlcore.views.umap_figure.umap_scatter` of ``points`` (:func:`tlcore.views.explore.umap_points`
    of the diagnosis ``measured`` and the projection ``projected``), coloured by their ``colour_by``
    column: the domains in their colours, else ``classes`` (and the unlabelled) in theirs, each domain
    its symbol."""
    key = (*_key(page, measured), projected.computed, colour_by)
    return _figure("umap", key, partial(_umap, points, colour_by, classes))


def _umap(points: pd.DataFrame, colour_by: str, classes: Sequence[str]) -> go.Figure:
    by_domain = colour_by == "domain"
    return umap_figure.umap_scatter(
        points[["x", "y"]].to_numpy(),
        points[colour_by].tolist(),
        index=points.index.to_numpy(),
        names=points[explore.SAMPLE_ID].tolist(),  # the hover's: not the row of this table
        colours=figures.DOMAIN_COLOURS if by_domain else figures.colour_map([*classes, explore.UNLABELLED]),
        symbols=None if by_domain else points["domain"].tolist(),
        title="UMAP" if by_domain else "UMAP (circles: source, diamonds: target)",
    )


def _key(page: Page, step: Cached[object]) -> tuple[Hashable, ...]:
    """The workspace, ``page`` and when ``step`` was computed: one result of one step of the page."""
    return (str(engine.workspace().root), *page, step.computed)


@st.cache_resource(max_entries=48, show_spinner=False)
def _figure(name: str, key: tuple[Hashable, ...], _build: Callable[[], go.Figure | None]) -> go.Figure | None:
    return _build()


@st.cache_resource(max_entries=8, show_spinner=False)
def _proportions(root: str, shift: LabelShiftEstimate) -> go.Figure:
    return explain_figures.class_proportions_figure(shift)
