"""Cached calls for the Diagnose page's gap report and UMAP, kept by this server and, across restarts,
in the workspace's diagnosis cache (:mod:`tlcore.diagnosis_cache`, which ``python -m tlcore diagnose``
shares); and umap-learn imported ahead in the background."""

from __future__ import annotations

import threading

import streamlit as st

from app_support import engine
from tlcore.diagnosis import GapReport
from tlcore.diagnosis_cache import Cached, DiagnosisCache, findings, umap_of
from tlcore.diagnosis_settings import UMAP_POINTS, GapSettings
from tlcore.features import UMAPResult, cache_umap_kernels
from tlcore.workspace import Workspace


def gap_report(
    source: str,
    target: str,
    features: str = "raw",
    settings: GapSettings = GapSettings(),
    *,
    reuse: bool = True,
) -> Cached[GapReport]:
    """The diagnosis of the pair in ``features`` (``"raw"`` or a run id), without its UMAP
    (:func:`umap`); ``reuse`` False computes it again: ``python -m tlcore diagnose`` with the same
    settings prints its numbers (and reuses it)."""
    root, cleared = str(engine.workspace().root), cleared_at()
    return _diagnose(
        root, source, target, features=features, settings=settings, cleared=cleared, _reuse=reuse
    )


def umap(
    source: str,
    target: str,
    features: str = "raw",
    seed: int = 0,
    points: int = UMAP_POINTS,
    *,
    reuse: bool = True,
) -> Cached[UMAPResult]:
    """The pair's UMAP in ``features`` with ``points`` per domain (:func:`tlcore.diagnosis.projection`),
    apart from :func:`gap_report` so the page shows the gap while it is computed: the coordinates (and
    the cache entry) of ``python -m tlcore diagnose --json --seed SEED --umap-points POINTS``, the
    default points (:data:`tlcore.diagnosis_settings.UMAP_POINTS`) without the flag."""
    root, cleared = str(engine.workspace().root), cleared_at()
    return _umap(
        root, source, target, features=features, seed=seed, points=points, cleared=cleared, _reuse=reuse
    )


def cleared_at() -> int:
    """When the workspace's diagnosis cache was last cleared (``python -m tlcore cache --clear``): a
    key of every result this server keeps, so a clear while the app runs is noticed on the next page
    run (one file stat, no index read)."""
    return DiagnosisCache.of_workspace(engine.workspace()).cleared_at()


def forget() -> None:
    """Drop this server's kept diagnoses and projections (the workspace's stay until recomputed)."""
    _diagnose.clear()
    _umap.clear()


@st.cache_data(max_entries=12, show_spinner=False)
def _diagnose(
    root: str, source: str, target: str, *, features: str, settings: GapSettings, cleared: int, _reuse: bool
) -> Cached[GapReport]:
    cache, space = DiagnosisCache.of_workspace(Workspace.resolve(root)), engine.feature_space(features)
    return findings(cache, *engine.load_pair(source, target), space, settings=settings, reuse=_reuse)


@st.cache_data(max_entries=12, show_spinner="Projecting the domains with UMAP…")
def _umap(
    root: str,
    source: str,
    target: str,
    *,
    features: str,
    seed: int,
    points: int,
    cleared: int,
    _reuse: bool,
) -> Cached[UMAPResult]:
    cache, space = DiagnosisCache.of_workspace(Workspace.resolve(root)), engine.feature_space(features)
    pair = engine.load_pair(source, target)
    return umap_of(cache, *pair, space, seed=seed, max_umap_per_domain=points, reuse=_reuse)


@st.cache_resource(show_spinner=False)
def warm_umap() -> threading.Thread:
    """Import umap-learn (numba: seconds) in a background thread, once per server, so the first UMAP a
    session computes does not wait for it (:func:`tlcore.features.cache_umap_kernels`)."""
    thread = threading.Thread(target=cache_umap_kernels, name="warm-umap", daemon=True)
    thread.start()
    return thread
