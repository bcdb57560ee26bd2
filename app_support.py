"""The one app-side helper module: session state, cached engine calls, error display.

Pages import this as ``ui`` and otherwise only lay out widgets and call ``tlcore``. Everything
cached here is keyed on plain strings and numbers (specs, seeds, run ids); data that belongs to one
browser session (the current pair, widget state) lives in ``st.session_state`` only.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st
from torch import nn

from tlcore import explore, jobs
from tlcore.adapt import AdaptConfig
from tlcore.data import Domain, harmonise, list_domains, list_shifts, load_domain, parse_spec, save_upload
from tlcore.diagnosis import GapReport, diagnose
from tlcore.errors import TLError
from tlcore.methods import MethodSpec, check_combination, list_methods
from tlcore.runs import CHECKPOINT_FILE, RunRecord, RunStore
from tlcore.workspace import Workspace

DEFAULT_SOURCE, DEFAULT_TARGET = "mnist5k", "digits"
SOURCE_KEY, TARGET_KEY = "pair_source", "pair_target"
ROLES = {"source": SOURCE_KEY, "target": TARGET_KEY}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:])")


# ---- session: the current pair ---------------------------------------------------------------------


def init_session() -> None:
    """Give a new browser session the default pair."""
    st.session_state.setdefault(SOURCE_KEY, DEFAULT_SOURCE)
    st.session_state.setdefault(TARGET_KEY, DEFAULT_TARGET)


def pair() -> tuple[str, str]:
    """The session's current ``(source spec, target spec)``."""
    return st.session_state[SOURCE_KEY].strip(), st.session_state[TARGET_KEY].strip()


def set_pair(source: str | None = None, target: str | None = None) -> None:
    """Change the pair; call from a widget callback (``on_click`` / ``on_change``)."""
    if source is not None:
        st.session_state[SOURCE_KEY] = source
    if target is not None:
        st.session_state[TARGET_KEY] = target
    forget_builders()


def swap_pair() -> None:
    """Callback: exchange source and target."""
    source, target = pair()
    set_pair(target, source)


# ---- the Data page's spec builder (dataset + sample count + shift knobs per role) ------------------


def shift_knobs() -> list[dict[str, Any]]:
    """The engine's shift registry plus a slider step for each."""
    steps = (5.0, 1.0, 0.5, 0.1, 0.05, 0.01)
    knobs = []
    for shift in list_shifts():
        low, high, identity = float(shift["low"]), float(shift["high"]), float(shift["identity"])
        step = next((x for x in steps if x <= (high - low) / 50), 0.01)
        knobs.append({**shift, "low": low, "high": high, "identity": identity, "step": step})
    return knobs


def _builder_key(role: str, part: str) -> str:
    return f"builder_{role}_{part}"


def init_builder(role: str) -> None:
    """Fill the role's builder widgets from its current spec (once, until the spec changes)."""
    if _builder_key(role, "dataset") in st.session_state:
        return
    try:
        spec = parse_spec(st.session_state[ROLES[role]])
    except TLError:
        spec = parse_spec(DEFAULT_SOURCE if role == "source" else DEFAULT_TARGET)
    values = dict(spec.shifts)
    base = replace(spec, shifts=(), n=None)
    st.session_state[_builder_key(role, "dataset")] = str(base)
    st.session_state[_builder_key(role, "n")] = spec.n or 0
    for knob in shift_knobs():
        st.session_state[_builder_key(role, knob["name"])] = float(values.get(knob["name"], knob["identity"]))


def builder_keys(role: str) -> dict[str, str]:
    """Widget keys of the role's builder: ``dataset``, ``n`` and one per shift."""
    return {part: _builder_key(role, part) for part in ("dataset", "n", *(k["name"] for k in shift_knobs()))}


def apply_builder(role: str) -> None:
    """Callback: compose the role's spec from its builder widgets and make it current."""
    state = st.session_state
    try:
        base = parse_spec(state[_builder_key(role, "dataset")])
        shifts = tuple(
            (k["name"], state[_builder_key(role, k["name"])])
            for k in shift_knobs()
            if state[_builder_key(role, k["name"])] != k["identity"]
        )
        n = int(state[_builder_key(role, "n")]) or None
        state[ROLES[role]] = str(replace(base, shifts=shifts, n=n))
    except TLError as exc:
        state[f"builder_{role}_error"] = str(exc)


def forget_builders() -> None:
    """Drop the builders' state so they re-read the pair (after the pair changed elsewhere)."""
    for role in ROLES:
        for key in builder_keys(role).values():
            st.session_state.pop(key, None)


def dataset_choices() -> list[str]:
    """Datasets that load offline here (built-ins, present torchvision sets) and saved uploads."""
    return [row["name"] for row in list_domains(workspace()) if row["offline"]]


# ---- uploads -----------------------------------------------------------------------------------------


def save_uploaded(uploader_key: str, role: str) -> None:
    """Callback: validate and store the file in ``uploader_key``, then use it as ``role``.

    The file only reaches the shared workspace here, after it parsed; until then it exists only in
    this session's widget state. An error is kept for the page to show.
    """
    state = st.session_state
    state.pop("upload_error", None)
    file = state.get(uploader_key)
    if file is None:
        state["upload_error"] = "choose a file first"
        return
    try:
        name = save_upload(workspace(), file.name, file.getvalue())
    except TLError as exc:
        state["upload_error"] = str(exc)
        return
    set_pair(**{role: f"upload:{name}"})
    state["upload_saved"] = f"upload:{name}"


# ---- cached engine calls -------------------------------------------------------------------------------


def workspace() -> Workspace:
    """This server's workspace (``$TLSTUDIO_WORKSPACE`` or ``./workspace``)."""
    return Workspace.resolve()


def store() -> RunStore:
    """The run store of the workspace."""
    return RunStore(workspace())


def load(spec: str, seed: int = 0) -> Domain:
    """A domain by spec (shared across sessions; domains are immutable). Paths are refused."""
    return _load(str(workspace().root), spec, seed)


def load_pair(source: str, target: str, seed: int = 0) -> tuple[Domain, Domain]:
    """The harmonised ``(source, target)`` pair."""
    return _load_pair(str(workspace().root), source, target, seed)


@st.cache_resource(max_entries=16, show_spinner="Loading data…")
def _load(root: str, spec: str, seed: int) -> Domain:
    return load_domain(spec, Workspace.resolve(root), seed=seed, allow_paths=False)


@st.cache_resource(max_entries=8, show_spinner="Pairing source and target…")
def _load_pair(root: str, source: str, target: str, seed: int) -> tuple[Domain, Domain]:
    return harmonise(_load(root, source, seed), _load(root, target, seed))


def run_label(record: RunRecord) -> str:
    """A short, readable name for a run: its method and the end of its id."""
    return f"{record.method} · {record.id[-6:]}"


def model_runs(source: str, target: str) -> dict[str, str]:
    """``{run id: label}`` of finished runs on this pair that saved a model."""
    runs = store().list(status="done")
    return {
        r.id: run_label(r)
        for r in runs
        if r.source == source and r.target == target and (r.folder / CHECKPOINT_FILE).is_file()
    }


def results(run_ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``{run label: stored result}`` of finished runs (results never change, so cached)."""
    return _results(str(workspace().root), run_ids)


@st.cache_data(max_entries=16, show_spinner="Reading run results…")
def _results(root: str, run_ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    runs = RunStore(Workspace.resolve(root))
    return {run_label(runs.get(run_id)): runs.result(run_id) for run_id in run_ids}


def gap_report(
    source: str, target: str, features: str = "raw", n_permutations: int = 200, umap_points: int = 1500
) -> GapReport:
    """The diagnosis of the pair in ``features`` (``"raw"`` or a run id), cached across sessions."""
    return _diagnose(
        str(workspace().root),
        source,
        target,
        features=features,
        n_permutations=n_permutations,
        umap_points=umap_points,
    )


def predictions(source: str, target: str, run_id: str) -> tuple[np.ndarray, np.ndarray]:
    """A run's model's predicted class indices on the harmonised source and target."""
    return _predictions(str(workspace().root), source, target, run_id)


@st.cache_data(max_entries=12, show_spinner=False)
def _diagnose(
    root: str, source: str, target: str, *, features: str, n_permutations: int, umap_points: int
) -> GapReport:
    pair = _load_pair(root, source, target, 0)
    space = "raw" if features == "raw" else _model(root, features)
    return diagnose(*pair, space, seed=0, n_permutations=n_permutations, max_umap_per_domain=umap_points)


@st.cache_data(max_entries=12, show_spinner="Predicting with the run's model…")
def _predictions(root: str, source: str, target: str, run_id: str) -> tuple[np.ndarray, np.ndarray]:
    model = _model(root, run_id)
    pair = _load_pair(root, source, target, 0)
    return explore.predict(model, pair[0]), explore.predict(model, pair[1])


@st.cache_resource(max_entries=4, show_spinner="Loading the run's model…")
def _model(root: str, run_id: str) -> nn.Module:
    return RunStore(Workspace.resolve(root)).load_model(run_id)


def method_specs() -> list[MethodSpec]:
    """Every registered adaptation method."""
    return list_methods()


def launch(configs: list[AdaptConfig]) -> list[str]:
    """Start one background run per config; returns their ids (configs are all built first)."""
    for config in configs:
        check_combination(config.methods)
    return [jobs.launch(workspace(), config) for config in configs]


@st.cache_data(show_spinner=False)
def methods_by_family() -> dict[str, list[str]]:
    """Registered method names grouped by family."""
    grouped: dict[str, list[str]] = {}
    for method in list_methods():
        grouped.setdefault(method.family, []).append(method.name)
    return grouped


# ---- display helpers -----------------------------------------------------------------------------------


def esc(text: object) -> str:
    """``text`` with Markdown syntax escaped, for user-supplied strings inside ``st.markdown``."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def selected_points(event: Any) -> list[int]:
    """The ``customdata`` ids of the points selected in an ``st.plotly_chart`` selection event."""
    points = (event or {}).get("selection", {}).get("points", [])
    ids = []
    for point in points:
        value = point.get("customdata")
        value = value[0] if isinstance(value, list) and value else value
        if isinstance(value, int | float):
            ids.append(int(value))
    return ids


@contextlib.contextmanager
def errors_shown() -> Iterator[None]:
    """Show a :class:`TLError` raised in the block as an error box instead of a traceback."""
    try:
        yield
    except TLError as exc:
        st.error(esc(exc), icon=":material/error:")
