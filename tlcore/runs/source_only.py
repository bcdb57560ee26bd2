"""Which source-only model reads the target's class proportions when a pair is diagnosed in a feature
space: the one rule behind ``python -m tlcore diagnose --features`` and the app's Diagnose page."""

from __future__ import annotations

from typing import Literal

from tlcore.adapt.cache import BaselineCache, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.source_model import (
    SOURCE_ONLY,
    NeedsSourceOnlyModel,
    SourceOnlyModel,
    find_source_only_model,
    source_only_config,
    source_val_accuracy,
)
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.runs.candidates import pair_source_only_model
from tlcore.runs.store import RunStore


def source_only_model_for(
    store: RunStore,
    source: str,
    target: str,
    run_id: str | None = None,
    kind: Literal["run", "baseline"] = "run",
) -> SourceOnlyModel | NeedsSourceOnlyModel:
    """The source-only model for the label-shift estimate of ``source -> target`` diagnosed in raw
    features (``run_id`` None: the pair's, :func:`~tlcore.runs.candidates.pair_source_only_model`) or
    in a model of run ``run_id``: its source-only baseline from the workspace cache (``kind``
    ``baseline``), the run's own model when it is a ``source_only`` run, else the cached baseline of
    the run's config (:func:`~tlcore.adapt.source_model.find_source_only_model`). The run's source
    need not be ``source``: whether its model can read the pair (its sample shape and class names)
    is checked where it reads it (:func:`~tlcore.adapt.source_model.label_shift_of`)."""
    if run_id is None:
        return pair_source_only_model(store, source, target)
    config = AdaptConfig.from_dict(store.get(run_id).config)
    if kind == "baseline":
        key = baseline_key(config, pick_device(config.device).type)
        cached = BaselineCache.of_workspace(store.workspace).get(key)
        if cached is None:
            raise TLError(
                f"the source-only baseline of run {run_id} is not in this workspace's baseline cache"
            )
        accuracy = source_val_accuracy(cached)
        return SourceOnlyModel(
            cached.model, source_only_config(config), "baseline cache", accuracy if accuracy >= 0 else None
        )
    if config.methods == SOURCE_ONLY:
        return SourceOnlyModel(store.load_model(run_id), source_only_config(config), f"run {run_id}")
    return find_source_only_model(config, store.workspace)
