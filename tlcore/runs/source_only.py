"""Which models a diagnosis in a feature space reads, the one rule behind ``python -m tlcore diagnose
--features`` and the app's Diagnose page: a run's models, each domain predicted as the run scored it,
and the source-only model that reads the target's class proportions.

A transform may score the source with another model than the target
(:class:`~tlcore.methods.context.TransformOutcome`: AdaBN, each domain with its own
batch-normalisation statistics); the run's checkpoint keeps what that model changes
(:func:`tlcore.checkpoints.save_checkpoint`), so the source's predictions are the run's. The features embed
both domains with the run's model, as the run's gap does (:mod:`tlcore.adapt.evaluate`), so
``diagnose --features run:ID --held-out`` reproduces the run's stored gap after. AdaBN runs stored
before 2026-12-05 kept only the target statistics: their source is predicted with them, which
matters only where the source's predictions are shown (the Diagnose page's map coloured by
prediction), and a note there says so; their features are the run's either way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from torch import nn

from tlcore.adapt.cache import NOT_CACHED, BaselineCache, CachedBaseline, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.source_model import (
    NeedsSourceOnlyModel,
    SourceOnlyModel,
    find_source_only_model,
    source_val_accuracy,
)
from tlcore.adapt.source_only_run import SOURCE_ONLY, source_only_config
from tlcore.checkpoints import load_source_model
from tlcore.data.spec_text import parse_spec
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.features import DomainModels
from tlcore.limits import Limits
from tlcore.methods.context import SOURCE_MODEL_TRANSFORMS
from tlcore.runs.slots import run_threads
from tlcore.runs.store import RunStore
from tlcore.runs.thread_count import trained_threads

EVERY_RUN = 1_000_000  # a listing limit no workspace reaches: every done run


def run_feature_models(store: RunStore, run_id: str) -> tuple[nn.Module, str]:
    """The model of the ``done`` run ``run_id`` for its features (:class:`~tlcore.features.DomainModels`
    when its checkpoint keeps a source model) and a one-line note for wherever its predictions on the
    source are shown, empty unless an older run of a
    :data:`~tlcore.methods.context.SOURCE_MODEL_TRANSFORMS` transform lacks its source model."""
    model = store.load_model(run_id)
    path = store.checkpoint_path(run_id)
    source = None if path is None else load_source_model(path, model, f"run {run_id}'s checkpoint")
    if source is not None:
        return DomainModels(source, model), ""
    if not set(store.get(run_id).method.split("+")) & set(SOURCE_MODEL_TRANSFORMS):
        return model, ""
    return model, (
        f"run {run_id} was stored before AdaBN runs kept their source statistics: its predicted classes "
        "of the source samples come from its target statistics, unlike the run's own source scores"
    )


def source_only_model_for(
    store: RunStore,
    source: str,
    target: str,
    run_id: str | None = None,
    kind: Literal["run", "baseline"] = "run",
    *,
    workspace: str | None = None,
) -> SourceOnlyModel | NeedsSourceOnlyModel:
    """The source-only model for the label-shift estimate of ``source -> target`` (:func:`_model_for`
    says which), its commands (``runs show``, the ``adapt`` that trains a missing one) with
    ``--workspace workspace`` when given (:mod:`tlcore.commands`)."""
    return replace(_model_for(store, source, target, run_id, kind), workspace=workspace)


def _model_for(
    store: RunStore,
    source: str,
    target: str,
    run_id: str | None,
    kind: Literal["run", "baseline"],
) -> SourceOnlyModel | NeedsSourceOnlyModel:
    """The source-only model for the label-shift estimate of ``source -> target`` diagnosed in raw
    features (``run_id`` None: the pair's, :func:`pair_source_only_model`) or
    in a model of run ``run_id``: its source-only baseline from the workspace cache (``kind``
    ``baseline``), the run's own model when it is a ``source_only`` run, else the cached baseline of
    the run's config (:func:`~tlcore.adapt.source_model.find_source_only_model`), each named by
    ``run_id``. The run's source need not be ``source``: whether its model can read the pair (its
    sample shape and class names) is checked where it reads it
    (:func:`~tlcore.adapt.source_model.label_shift_of`)."""
    if run_id is None:
        return pair_source_only_model(store, source, target)
    config = AdaptConfig.from_dict(store.get(run_id).config)
    if kind == "baseline":
        cached = run_baseline(store, run_id)
        accuracy = source_val_accuracy(cached)
        return SourceOnlyModel(
            cached.model,
            source_only_config(config),
            "baseline cache",
            accuracy if accuracy >= 0 else None,
            run_id=run_id,
            threads=cached.threads,
        )
    if config.methods == SOURCE_ONLY:
        model = store.load_model(run_id)
        return SourceOnlyModel(model, source_only_config(config), f"run {run_id}", run_id=run_id)
    found = find_source_only_model(config, store.workspace, threads=trained_threads(store.get(run_id)))
    if isinstance(found, SourceOnlyModel):
        return replace(found, run_id=run_id)
    return replace(found, reason=f"{found.reason}: the source-only baseline of run {run_id} is {NOT_CACHED}")


def pair_source_only_model(
    store: RunStore, source: str, target: str
) -> SourceOnlyModel | NeedsSourceOnlyModel:
    """The pair's source-only model for a label-shift estimate: of the cached baselines of the default
    config (at the torch threads a launch trains on) and of the pair's done runs (specs compared in
    canonical form; oldest first; each at the count it trained on), the one
    with the highest source validation accuracy
    (:func:`~tlcore.adapt.source_model.find_source_only_model`), so the estimate does not change with
    the order in which runs finish; named by the oldest of those runs whose baseline it is."""
    pair = (str(parse_spec(source)), str(parse_spec(target)))
    runs: list[tuple[str, AdaptConfig, int | None]] = []
    for record in reversed(store.list(status="done", limit=EVERY_RUN)):  # oldest first
        try:
            config = AdaptConfig.from_dict(record.config)
            if (str(parse_spec(config.source)), str(parse_spec(config.target))) == pair:
                runs.append((record.id, config, trained_threads(record)))
        except TLError:  # a run of an older version, or with a spec no longer valid
            continue
    default = AdaptConfig(source=source, target=target)
    launch = run_threads(Limits.from_env("max_running").max_running)  # what a run of it would train on
    candidates = [(config, threads) for _, config, threads in runs]
    found = find_source_only_model(default, store.workspace, candidates, threads=launch)
    if isinstance(found, NeedsSourceOnlyModel):
        return found
    digest = _digest(found.config)
    same = (i for i, c, threads in runs if _digest(c) == digest and found.threads in (None, threads))
    return replace(found, run_id=next(same, ""))


def _digest(config: AdaptConfig) -> str:
    """What its cached baseline is but the thread count (:class:`~tlcore.adapt.cache.BaselineKey`)."""
    return baseline_key(config, pick_device(config.device).type, None).digest


def run_baseline(store: RunStore, run_id: str) -> CachedBaseline:
    """The cached source-only baseline of run ``run_id`` (``diagnose --features baseline:ID``): of its
    config at the torch threads it trained on (:func:`~tlcore.runs.thread_count.trained_threads`: a done
    run's result, else its baseline stage event: a cancelled or failed run's too); a run that records
    none (stored before counts were kept) reads the one cached before counts were kept, as then
    (:class:`~tlcore.adapt.cache.BaselineKey` of no count); :class:`TLError` when there is none."""
    record = store.get(run_id)
    config = AdaptConfig.from_dict(record.config)
    key = baseline_key(config, pick_device(config.device).type, trained_threads(record))
    cached = BaselineCache.of_workspace(store.workspace).get(key)
    if cached is None:
        raise TLError(f"the source-only baseline of run {run_id} is {NOT_CACHED}")
    return cached
