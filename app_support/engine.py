"""Cached calls into ``tlcore``, shared by every session of this server.

Everything cached here is keyed on plain strings and numbers (the workspace root, specs, seeds, run
ids) and holds only data that never changes for that key: run stores, domains, diagnoses, ended runs'
curves and done runs' results (a run card's readings: :mod:`app_support.run_cards`). Reading runs
never writes; runs whose worker is gone are closed once per page run (:func:`close_stale_runs`).
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
from torch import nn

from tlcore.adapt.checks import check_data
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.copy_search import cache_folder
from tlcore.adapt.pair import pair_shared
from tlcore.commands import app_workspace, command_line
from tlcore.data import Domain, harmonise, list_domains, load_domain, upload_table
from tlcore.data.harmonise import pair_image_shape
from tlcore.data.ink import blank_warning
from tlcore.data.overlap import SharedSamples
from tlcore.errors import TLError
from tlcore.features import domain_models
from tlcore.methods import MethodSpec, list_methods
from tlcore.runs import jobs
from tlcore.runs.blank_target import pair_blank_warning
from tlcore.runs.candidates import kept_command, kept_config, load_pool
from tlcore.runs.record import RunRecord
from tlcore.runs.run_files import CHECKPOINT_FILE
from tlcore.runs.source_only import run_feature_models
from tlcore.runs.store import RunStore
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.ranking import Ranking, rank
from tlcore.views import explore, run_names
from tlcore.views import ranking as ranking_view
from tlcore.workspace import ENV_VAR, Workspace


def workspace() -> Workspace:
    """This server's workspace (``$TLSTUDIO_WORKSPACE`` or ``./workspace``), resolved once per setting
    (and working folder, for a relative one) while its folder exists, made again when it is gone: a
    page run asks dozens of times, and each resolve was a system call per folder of the path and a
    mkdir (about 0.4 ms each on the loaded machine)."""
    setting = os.environ.get(ENV_VAR)
    key = (setting, "" if setting and Path(setting).is_absolute() else str(Path.cwd()))
    found = _resolved(*key)
    if not found.root.is_dir():
        _resolved.cache_clear()
        found = _resolved(*key)
    return found


@functools.lru_cache(maxsize=4)
def _resolved(setting: str | None, cwd: str) -> Workspace:
    """:meth:`Workspace.resolve` under ``$TLSTUDIO_WORKSPACE`` = ``setting`` in the folder ``cwd`` (""
    for an absolute setting): the key, it reads them itself."""
    return Workspace.resolve()


def command_workspace() -> str | None:
    """The ``--workspace`` the commands the app shows carry (:func:`tlcore.commands.app_workspace`):
    none for ``./workspace``, else this server's folder."""
    return app_workspace(workspace().root)


def command(*words: str) -> str:
    """The ``python -m tlcore`` command of ``words`` as the app shows it, with its ``--workspace``
    (:func:`command_workspace`)."""
    return command_line(*words, workspace=command_workspace())


def store() -> RunStore:
    """The run store of the workspace (one per workspace, so its schema is checked once)."""
    return store_at(str(workspace().root))


def _index_exists(runs: RunStore) -> bool:
    """A cached store is reused only while its index file exists (else a new one recreates it)."""
    return runs.workspace.index_path.is_file()


@st.cache_resource(max_entries=4, show_spinner=False, validate=_index_exists)
def store_at(root: str) -> RunStore:
    """The run store of the workspace at ``root`` (cached, see :func:`store`)."""
    return RunStore(Workspace.resolve(root))


def close_stale_runs() -> None:
    """Close the runs whose worker is gone as ``interrupted`` (the app calls this once per page run)."""
    store().mark_stale()


def recent_runs(limit: int, source: str, target: str) -> list[RunRecord]:
    """The newest ``limit`` runs of the pair ``source -> target`` (specs as given) in one read; a run
    found stale among them is closed and the list read again (a worker died since the page's last run)."""
    records = store().list(limit=limit, source=source, target=target)
    return store().list(limit=limit, source=source, target=target) if store().mark_stale(records) else records


def dataset_choices() -> list[str]:
    """Datasets that load offline here (built-ins, present torchvision sets) and saved uploads."""
    return [row["name"] for row in list_domains(workspace()) if row["offline"]]


def saved_uploads() -> list[dict[str, Any]]:
    """The workspace's saved uploads as the Data page lists them (:func:`tlcore.data.upload_table`):
    the spec each was read as, samples and shape as read on upload (empty for an upload saved before
    they were kept, until its next read keeps them), what it is."""
    return upload_table(workspace())


def load(spec: str, seed: int = 0) -> Domain:
    """A domain by spec (shared across sessions; domains are immutable). Paths are refused."""
    return _load(str(workspace().root), spec, seed)


def load_pair(source: str, target: str, seed: int = 0) -> tuple[Domain, Domain]:
    """The harmonised ``(source, target)`` pair."""
    return _load_pair(str(workspace().root), source, target, seed)


def shared_samples(config: AdaptConfig) -> SharedSamples | None:
    """:func:`~tlcore.adapt.pair.pair_shared` of ``config``'s pair as its run splits it, cached (a pair
    of other datasets hashes every sample); None too when it does not load (the page says why)."""
    with contextlib.suppress(TLError):
        return _shared(str(workspace().root), config.source, config.target, config.seed, config.test_fraction)
    return None


@st.cache_resource(max_entries=16, show_spinner=False)
def _shared(root: str, source: str, target: str, seed: int, fraction: float) -> SharedSamples | None:
    config = AdaptConfig(source=source, target=target, seed=seed, test_fraction=fraction)
    return pair_shared(*_load_pair(root, source, target, seed), config, cache_folder(Workspace.resolve(root)))


def holds_images(spec: str) -> bool:
    """Whether ``spec``'s samples are images, for the pages' wording; True when it does not load (the
    page that shows it says why)."""
    with contextlib.suppress(TLError):
        return load(spec).is_image
    return True


def sample_shape(spec: str) -> tuple[int, ...] | None:
    """One sample's shape in ``spec`` (what ``auto`` picks a backbone by); None when it does not load."""
    try:
        return load(spec).shape
    except TLError:
        return None


@st.cache_resource(max_entries=16, show_spinner="Loading data…")
def _load(root: str, spec: str, seed: int, image_shape: tuple[int, ...] | None = None) -> Domain:
    workspace = Workspace.resolve(root)
    return load_domain(spec, workspace, seed=seed, allow_paths=False, image_shape=image_shape)


@st.cache_resource(max_entries=8, show_spinner="Pairing source and target…")
def _load_pair(root: str, source: str, target: str, seed: int) -> tuple[Domain, Domain]:
    """The pair as a run loads it (:func:`tlcore.adapt.pair.load_run_pair`): the target's image files
    decoded straight to the source's size."""
    source_domain = _load(root, source, seed)
    return harmonise(source_domain, _load(root, target, seed, pair_image_shape(source_domain)))


def run_label(record: RunRecord) -> str:
    """A short, readable name for a run (:func:`tlcore.views.run_names.run_label`)."""
    return run_names.run_label(record)


def finished_runs(source: str, target: str, limit: int = 200) -> list[RunRecord]:
    """The ``done`` runs that saved a model: every one of the pair ``source -> target``, newest first
    (however old: the pair's ranking covers them all), then the newest ``limit`` of other pairs."""
    others = [r for r in store().list(status="done", limit=limit) if (r.source, r.target) != (source, target)]
    return _with_model(store().done_runs(source, target) + others)


def _with_model(records: list[RunRecord]) -> list[RunRecord]:
    """The runs among ``records`` that saved a model."""
    return [r for r in records if (r.folder / CHECKPOINT_FILE).is_file()]


def done_runs(run_ids: list[str]) -> list[RunRecord]:
    """The ``done`` runs among ``run_ids`` (ids that name no run are skipped)."""
    records = []
    for run_id in run_ids:
        with contextlib.suppress(TLError):
            records.append(store().get(run_id))
    return [r for r in records if r.status == "done"]


def model_runs(source: str, target: str) -> dict[str, str]:
    """``{run id: label}`` of done runs on this pair that saved a model."""
    return {r.id: run_label(r) for r in _with_model(store().done_runs(source, target))}


def alarms(records: list[RunRecord]) -> dict[str, tuple[str, bool]]:
    """``{run id: (alarm sentence, false alarm)}`` for the done runs among ``records`` whose
    negative-transfer alarm is raised (false alarm: the target labels show the accuracy did not
    fall), one ranking per pair, the sentence ending with the pool it was judged in, as ``runs show``
    says it; keyed on the done runs in hand, so a refresh that saw no run finish opens no connection."""
    out: dict[str, tuple[str, bool]] = {}
    pairs = {(r.source, r.target) for r in records if r.status == "done"}
    for source, target in sorted(pairs):
        done = tuple(
            sorted(r.id for r in records if r.status == "done" and (r.source, r.target) == (source, target))
        )
        ranked = _ranking(str(workspace().root), source, target, done, SelectionSettings().validator)
        labels = {r.id: run_label(r) for r in records}
        false = ranking_view.false_alarms(ranked)
        lines = ranking_view.alarm_lines(ranked, labels)
        out |= {i: (f"{line} ({ranked.pool_note})", i in false) for i, line in lines.items()}
    return out


def ranking(
    source: str, target: str, validator: str | None = None, run_id: str | None = None
) -> Ranking | None:
    """The pair's runs ranked without target labels (None when it has no done run), among those that
    cover ``run_id``'s target samples when given (``runs rank --run``); recomputed only when a run of
    the pair finishes (EnsV depends on every run)."""
    done = tuple(r.id for r in store().done_runs(source, target))
    if not done:
        return None
    chosen = validator or SelectionSettings().validator
    return _ranking(str(workspace().root), source, target, done, chosen, run_id=run_id)


def kept_run_command(ranked: Ranking) -> str | None:
    """The command that makes the source-only model a mixed pool's ranking keeps a run
    (:func:`tlcore.runs.candidates.kept_command`, with this server's ``--workspace``), or None."""
    return kept_command(store(), ranked, workspace=command_workspace())


def launch_kept(ranked: Ranking) -> list[str]:
    """Launch the source-only model ``ranked`` keeps as a run (:func:`tlcore.runs.candidates.kept_config`);
    its id, or none when nothing is kept."""
    config = kept_config(store(), ranked)
    return [] if config is None else launch([config])


def blank_target(source: str, target: str) -> str | None:
    """The warning that most of the pair's target images are blank
    (:func:`tlcore.runs.blank_target.pair_blank_warning`), or None; read again when a run of the pair
    finishes."""
    done = tuple(r.id for r in store().done_runs(source, target))
    return _blank_target(str(workspace().root), source, target, done)


@st.cache_data(max_entries=16, show_spinner=False)
def _blank_target(root: str, source: str, target: str, done: tuple[str, ...]) -> str | None:
    return pair_blank_warning(store_at(root), source, target)


def blank_data(spec: str) -> str | None:
    """The warning that most images of the domain ``spec`` are blank
    (:func:`tlcore.data.ink.blank_warning`), or None."""
    return _blank_data(str(workspace().root), spec)


@st.cache_data(max_entries=16, show_spinner=False)
def _blank_data(root: str, spec: str) -> str | None:
    return blank_warning(_load(root, spec, 0))


@st.cache_data(max_entries=16, show_spinner="Ranking the pair's runs…")
def _ranking(
    root: str, source: str, target: str, done: tuple[str, ...], validator: str, *, run_id: str | None = None
) -> Ranking:
    pool = load_pool(store_at(root), source, target, run_id=run_id)
    return rank(pool, SelectionSettings(validator=validator))


def results(run_ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``{run label: stored result}`` of done runs (results never change, so cached)."""
    return _results(str(workspace().root), run_ids)


@st.cache_data(max_entries=16, show_spinner="Reading run results…")
def _results(root: str, run_ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    runs = store_at(root)
    return {run_label(runs.get(run_id)): runs.result(run_id) for run_id in run_ids}


def predictions(source: str, target: str, run_id: str) -> tuple[np.ndarray, np.ndarray]:
    """A run's predicted class indices on the harmonised source and target, each read as the run
    scored it (AdaBN: the source with its own batch-normalisation statistics)."""
    return _predictions(str(workspace().root), source, target, run_id)


def feature_space(features: str) -> str | nn.Module:
    """The feature space ``features`` names: ``"raw"``, or the models of the run of that id
    (:func:`~tlcore.runs.source_only.run_feature_models`: both domains embedded by the run's model)."""
    return "raw" if features == "raw" else _feature_models(str(workspace().root), features)[0]


def prediction_note(features: str) -> str:
    """Why the run ``features`` names cannot predict its source as it scored it (an AdaBN run stored
    before its source statistics were kept), for beside its predictions on the source
    (:func:`predictions`); empty for raw features and every other run."""
    return "" if features == "raw" else _feature_models(str(workspace().root), features)[1]


@st.cache_data(max_entries=12, show_spinner="Predicting with the run's model…")
def _predictions(root: str, source: str, target: str, run_id: str) -> tuple[np.ndarray, np.ndarray]:
    models = domain_models(_feature_models(root, run_id)[0])  # each domain as the run scored it
    pair = _load_pair(root, source, target, 0)
    return explore.predict(models[0], pair[0]), explore.predict(models[1], pair[1])


@st.cache_resource(max_entries=4, show_spinner="Loading the run's model…")
def _feature_models(root: str, run_id: str) -> tuple[nn.Module, str]:
    return run_feature_models(store_at(root), run_id)


def method_specs() -> list[MethodSpec]:
    """Every registered adaptation method."""
    return list_methods()


def launch(configs: list[AdaptConfig], *, unless_repeated: bool = False) -> list[str]:
    """Start one background run per config; returns their ids (configs and their data's labels are
    all checked first, the labels from the loaded domains: a run that cannot work is not started).
    With ``unless_repeated``, one that repeats a run refuses the whole launch (:class:`RepeatedError`):
    none starts (:func:`tlcore.runs.jobs.launch_all`)."""
    check_data(configs, lambda spec: load(spec).labelled)
    return jobs.launch_all(workspace(), configs, unless_repeated=unless_repeated)


@st.cache_data(show_spinner=False)
def methods_by_family() -> dict[str, list[str]]:
    """Registered method names grouped by family."""
    grouped: dict[str, list[str]] = {}
    for method in list_methods():
        grouped.setdefault(method.family, []).append(method.name)
    return grouped
