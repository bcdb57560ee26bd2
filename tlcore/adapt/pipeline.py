"""The adaptation pipeline: config in, :class:`~tlcore.adapt.result.AdaptResult` out, in four stages.

1. **data**: load both specs, harmonise the pair, seeded stratified splits: source train /
   validation, target train / test (``cfg.test_fraction`` each). Target labels are used for scoring
   on the test split only, except by methods defined by them (``target_only``, ``finetune``), which
   take them from the target *train* split. The result keeps what the splits share with the source
   (``shared_samples``: :meth:`~tlcore.adapt.pair.RunPair.shared`).
2. **baseline**: a source-only model with the run's budget and seed: the "before" model and
   ``source_only_accuracy``. Reused, with its evaluation, from the
   :class:`~tlcore.adapt.cache.BaselineCache` when one matches (by default the workspace's
   ``cache/baselines`` folder), so runs that differ only in the method train it once.
3. **adapt**: by the methods' kind (:mod:`tlcore.methods.registry`): a ``baseline`` method keeps the
   baseline; a ``stage`` builds the model itself (``finetune`` and ``coral`` from a copy of the
   baseline); otherwise a fresh model, initialised exactly like the baseline (or, with
   ``cfg.warm_start``, a copy of the trained baseline), trains on source + unlabelled target
   batches with the loss terms and the source weights computed on the baseline, for
   ``cfg.adapt_epochs`` (default ``cfg.epochs``). Then each ``transform`` (e.g.
   ``prior_correction``), in the order written, changes a copy of the trained model.
4. **evaluate** (:mod:`tlcore.adapt.evaluate`): accuracies (with the paired McNemar test of both
   models on the target test samples, :mod:`tlcore.metrics.mcnemar`), confusion, gap, UMAP and the
   label-free validators before/after (:class:`~tlcore.selection.scores.RunValidators`), plus both models'
   target probabilities (:class:`~tlcore.selection.predictions.TargetPredictions`, the run's
   ``predictions.npz``). The baseline's evaluation is cached with it.

Progress: ``stage`` events at each stage start, the loop's ``step``/``epoch`` events, one ``done``.
The stages themselves: :class:`~tlcore.adapt.stages.RunStages`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import torch

from tlcore.adapt.cache import BaselineCache, CachedBaseline
from tlcore.adapt.checks import check_config, needs_target_labels
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.evaluate import evaluate_model
from tlcore.adapt.pair import RunPair, run_pair
from tlcore.adapt.result import AdaptResult
from tlcore.adapt.stages import SPANS, RunStages
from tlcore.data.categories import CATEGORIES
from tlcore.data.fill import FILL
from tlcore.data.unread_columns import trained_without
from tlcore.events import Callbacks, ProgressEvent
from tlcore.methods.context import TransformOutcome
from tlcore.methods.registry import TransformBuilder
from tlcore.metrics.gap import Gap
from tlcore.metrics.mcnemar import PairedChange
from tlcore.selection.predictions import TargetFingerprint, TargetPredictions
from tlcore.selection.scores import RunValidators, ValidatorSettings
from tlcore.workspace import Workspace


def _evaluate(result: AdaptResult, run: RunStages, baseline: CachedBaseline, final: TransformOutcome) -> None:
    """Fill the scores, gaps, UMAPs and validators of ``result`` from the baseline and the adapted
    model (``final.model``; ``final.source_model``, when a transform gave one, scores the source)."""
    cfg, pair, model = run.cfg, run.pair, final.model
    evaluated = run.evaluate_baseline(baseline)
    evaluated_after = evaluated
    if model is not baseline.model:
        evaluated_after = evaluate_model(
            model, pair, seed=cfg.seed, device=cfg.device, source_model=final.source_model
        )
    before, after = evaluated.description, evaluated_after.description
    if after["target"] is not None:
        result.target_accuracy = after["target"]["accuracy"]
        result.source_only_accuracy = before["target"]["accuracy"]
        result.paired = PairedChange.of(before["target"]["correct"], after["target"]["correct"])
        result.per_class_accuracy = after["target"]["per_class_accuracy"]
        result.confusion = after["target"]["confusion"]
    result.source_accuracy = after["source"]["accuracy"]
    result.gap_before, result.gap_after = Gap.from_dict(before["gap"]), Gap.from_dict(after["gap"])
    result.umap_before, result.umap_after = before["umap"], after["umap"]
    result.validators = RunValidators(
        evaluated.validators,
        evaluated_after.validators,
        ValidatorSettings(seed=cfg.seed),
        TargetFingerprint.of(pair.target.X.numpy()),
    )
    result.predictions = TargetPredictions(
        evaluated.target_probabilities, evaluated_after.target_probabilities
    )
    model.columns = tuple(pair.source_train.meta.get("columns") or ())  # a table's, by name
    model.categories = dict(pair.source_train.meta.get(CATEGORIES) or {})  # its text columns' values
    model.fill = tuple(pair.source_train.meta.get(FILL) or ())  # the source's medians (harmonise)
    model.dropped = trained_without(pair.target)  # the source's columns empty in every row (harmonise)
    model.file_columns = pair.source_train.file_columns  # where a file without a header held its places
    result.model, result.source_model = model.cpu(), final.source_model
    result.classes = list(pair.source_train.classes)
    result.info |= {
        "model": model.spec,
        "n_source_train": pair.source_train.n_samples,
        "n_target_train": pair.target_train.n_samples,
        "n_target_test": pair.target_test.n_samples,
        "torch_threads": torch.get_num_threads(),  # a seed reproduces the run at this count (README)
    }


def run_adaptation(
    cfg: AdaptConfig,
    workspace: Workspace | None = None,
    on_event: Callable[[ProgressEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    baseline_cache: BaselineCache | Literal[False] | None = None,
    *,
    pair: RunPair | None = None,
) -> AdaptResult:
    """Run one adaptation (see the module docstring); user errors raise :class:`TLError`.

    ``baseline_cache``: None uses ``<workspace>/cache/baselines`` when a workspace is given (else no
    cache), False disables caching, a :class:`BaselineCache` is used as given. ``pair``: the pair of
    ``cfg`` loaded already from ``workspace`` (the CLI's ``adapt`` loads it for its estimate), used
    instead of loading it again (:func:`~tlcore.adapt.pair.run_pair`). A run whose loss turns
    NaN/inf ends with status ``failed`` and its reason; a cancelled one with ``cancelled``; neither
    has a model or scores.
    """
    specs, params = check_config(cfg)
    if baseline_cache is None and workspace is not None:
        baseline_cache = BaselineCache.of_workspace(workspace)
    pair = run_pair(cfg, workspace, needs_target_labels(specs), pair)
    shared = pair.shared(cfg)  # kept in the result: `runs show`, the run card and Compare say it
    started = time.perf_counter()  # `seconds` from here; the pair's loading and search: `load_seconds`
    run = RunStages(cfg, pair, Callbacks(on_event, should_stop), baseline_cache or None)
    result = AdaptResult(
        config=cfg,
        target=pair.target,
        shared_samples=shared and shared.to_dict(),
        load_seconds=pair.load_seconds(cfg),
    )
    timings: dict[str, float] = {}

    def finish(status: str, reason: str) -> AdaptResult:
        result.status, result.reason = status, reason  # type: ignore[assignment]
        result.seconds = time.perf_counter() - started
        result.info["seconds_per_stage"] = timings
        reached = 1.0 if status == "done" else run.callbacks.fraction  # a cancelled run stays where it was
        run.callbacks.emit(ProgressEvent("done", "done", reached, message=reason or status))
        return result

    t0 = time.perf_counter()
    baseline = run.baseline()
    timings["baseline"] = time.perf_counter() - t0
    result.info["baseline_cached"] = run.baseline_cached
    result.history = [{"stage": "baseline", **record} for record in baseline.history]
    if baseline.status in ("cancelled", "failed"):
        return finish(baseline.status, f"baseline: {baseline.reason}")

    t0 = time.perf_counter()
    outcome = run.adapt(specs, params, baseline.model)
    timings["adapt"] = time.perf_counter() - t0
    result.info |= outcome.info
    status, reason = "done", ""
    if outcome.history is not None:
        result.history += [{"stage": "adapt", **record} for record in outcome.history.epochs]
        status, reason = outcome.history.status, outcome.history.reason
        if status in ("cancelled", "failed"):
            return finish(status, f"adapt: {reason}")

    final = TransformOutcome(outcome.model)
    if any(isinstance(s.builder, TransformBuilder) for s in specs):
        t0 = time.perf_counter()
        final = run.transform(specs, params, outcome.model)
        result.info["transforms"] = final.info
        timings["transform"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    run.stage_event("evaluate", SPANS["adapt"][1], "scoring, measuring the gap, projecting with UMAP")
    _evaluate(result, run, baseline, final)
    timings["evaluate"] = time.perf_counter() - t0
    return finish(status, reason)
