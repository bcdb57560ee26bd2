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
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, Literal

import torch

from tlcore.adapt.cache import BaselineCache, CachedBaseline, baseline_key
from tlcore.adapt.checks import check_config, needs_target_labels
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.evaluate import ModelEvaluation, evaluate_model, evaluation_settings
from tlcore.adapt.pair import RunPair, run_pair
from tlcore.adapt.result import AdaptResult
from tlcore.adapt.terms import build_terms, seeded_build
from tlcore.data.categories import CATEGORIES
from tlcore.data.domain import Domain
from tlcore.data.fill import FILL
from tlcore.data.splits import few_shot
from tlcore.data.unread_columns import trained_without
from tlcore.device import pick_device
from tlcore.events import Callbacks, ProgressEvent
from tlcore.features import extract_features, raw_features
from tlcore.method_table import Configured
from tlcore.methods import StageContext, StageOutcome, TermContext, WeightsContext
from tlcore.methods.context import TransformContext, TransformOutcome
from tlcore.methods.registry import (
    MethodSpec,
    StageBuilder,
    TransformBuilder,
    WeightsBuilder,
)
from tlcore.metrics.gap import Gap
from tlcore.metrics.mcnemar import PairedChange
from tlcore.models import Classifier, build_model
from tlcore.selection.predictions import TargetFingerprint, TargetPredictions
from tlcore.selection.scores import RunValidators, ValidatorSettings
from tlcore.training import History, Term, TrainSettings, train
from tlcore.workspace import Workspace

SPANS = {"baseline": (0.0, 0.45), "adapt": (0.45, 0.9)}  # share of the run's progress per stage
RAW_PCA_DIM = 50  # raw-input features for instance weights: flattened, PCA to this width
BASELINE_REUSED = "source-only baseline reused from the cache"  # its stage event's message


def baseline_reused(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a run's events say its source-only baseline came from the cache: trained by an earlier
    run with the same source, model and settings (the log's baseline epochs, replayed, are its). A done
    run's result stores it too (``info["baseline_cached"]``); the events answer for live and older runs."""
    return any(e.get("kind") == "stage" and e.get("message") == BASELINE_REUSED for e in events)


def network(cfg: AdaptConfig, input_shape: tuple[int, ...], n_classes: int) -> Classifier:
    """A fresh, unseeded copy of the network a run of ``cfg`` trains (backbone, bottleneck); callers seed."""
    return build_model(cfg.model, tuple(input_shape), n_classes, **cfg.model_options)


def _settings(cfg: AdaptConfig, stage: Literal["baseline", "adapt"], **overrides: Any) -> TrainSettings:
    base = TrainSettings(
        epochs=(cfg.adapt_epochs or cfg.epochs) if stage == "adapt" else cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        augment=cfg.augment,
        seed=cfg.seed,
        patience=cfg.patience,
        steps_per_epoch=cfg.steps_per_epoch,
        device=cfg.device,
        stage=stage,
        span=SPANS[stage],
        ema_decay=cfg.ema_decay if stage == "adapt" else 0.0,
        settle_tol=cfg.settle_tol if stage == "adapt" else 0.0,
    )
    return replace(base, **overrides)


class _Run:
    """One run's state shared by its stages."""

    def __init__(
        self, cfg: AdaptConfig, pair: RunPair, callbacks: Callbacks, cache: BaselineCache | None
    ) -> None:
        self.cfg, self.pair, self.callbacks, self.cache = cfg, pair, callbacks, cache
        self.shape, self.n_classes = pair.source_train.shape, pair.source_train.n_classes
        self.key = baseline_key(cfg, pick_device(cfg.device).type)
        self.baseline_cached = False  # whether :meth:`baseline` reused the cache's model

    def new_model(self) -> Classifier:
        model = seeded_build(self.cfg.seed, "model", partial(network, self.cfg, self.shape, self.n_classes))
        model.fit_inputs(self.pair.source_train.X)
        return model

    def train(
        self,
        model: Classifier,
        labelled: Domain,
        unlabelled: Domain | None = None,
        *,
        terms: Sequence[Term] = (),
        source_weights: torch.Tensor | None = None,
        target_labelled: Domain | None = None,
        **overrides: Any,
    ) -> History:
        """THE loop with the run's adapt-stage settings (``overrides``: TrainSettings fields)."""
        return train(
            model,
            labelled,
            unlabelled,
            settings=_settings(self.cfg, "adapt", **overrides),
            terms=terms,
            source_weights=source_weights,
            source_val=self.pair.source_val,
            target_test=self.pair.target_test,
            target_labelled=target_labelled,
            callbacks=self.callbacks,
        )

    def stage_event(self, stage: str, fraction: float, message: str) -> None:
        self.callbacks.emit(ProgressEvent("stage", stage, fraction, message=message))

    def baseline(self) -> CachedBaseline:
        """The source-only baseline: from the cache when it holds this run's, else trained (and cached)."""
        cached = self.cache.get(self.key) if self.cache is not None else None
        if cached is not None:
            self.baseline_cached = True
            self.stage_event("baseline", end := SPANS["baseline"][1], BASELINE_REUSED)
            for r in cached.history:  # its epochs, replayed: a live run's adapt epochs follow them
                self.callbacks.emit(ProgressEvent("epoch", "baseline", end, int(r["epoch"]), metrics=r))
            return cached
        self.stage_event("baseline", 0.0, "training the source-only baseline")
        model = self.new_model()
        history = train(
            model,
            self.pair.source_train,
            settings=_settings(self.cfg, "baseline"),
            source_val=self.pair.source_val,
            target_test=self.pair.target_test,
            callbacks=self.callbacks,
        )
        entry = CachedBaseline(model, history.epochs, history.status, history.reason)
        if self.cache is not None:
            self.cache.put(self.key, entry)
        return entry

    def evaluate_baseline(self, entry: CachedBaseline) -> ModelEvaluation:
        """The baseline's evaluation, reused from the cache when made with the same settings."""
        settings = evaluation_settings(self.cfg.seed)
        cached = ModelEvaluation.from_cache(entry.before, settings)
        if cached is not None:
            return cached
        evaluation = evaluate_model(entry.model, self.pair, seed=self.cfg.seed, device=self.cfg.device)
        if self.cache is not None:
            self.cache.put(self.key, replace(entry, before=evaluation.to_cache(settings)))
        return evaluation

    def adapt(
        self, specs: list[MethodSpec], params: dict[str, Configured], baseline: Classifier
    ) -> StageOutcome:
        specs = [s for s in specs if not isinstance(s.builder, TransformBuilder)]  # applied later
        if not specs or specs[0].builder is None:
            return StageOutcome(baseline)
        first = specs[0]
        self.stage_event("adapt", SPANS["adapt"][0], f"adapting with {self.cfg.method_label}")
        if isinstance(first.builder, StageBuilder):
            ctx = StageContext(
                baseline=copy.deepcopy(baseline),
                source=self.pair.source_train,
                target=self.pair.target_train,
                target_labels=self.cfg.target_labels,
                seed=self.cfg.seed,
                batch_size=self.cfg.batch_size,
                train=lambda model, labelled, unlabelled=None, **kw: self.train(
                    model, labelled, unlabelled, **{"patience": None, **kw}
                ),
                new_model=self.new_model,
                features=lambda model, domain: extract_features(model, domain.X, device=self.cfg.device),
            )
            return first.builder.build(params[first.name].params, ctx)
        info: dict[str, Any] = {}
        weights = None
        for spec in specs:
            if isinstance(spec.builder, WeightsBuilder):  # at most one (check_combination)
                weights = spec.builder.build(params[spec.name].params, self._weights_context(baseline))
                info["weights"] = _weights_summary(weights)
        model = copy.deepcopy(baseline) if self.cfg.warm_start else self.new_model()
        terms = build_terms(self.cfg.seed, specs, params, TermContext(self.n_classes, model.feature_dim))
        labelled = self._labelled_target(terms, params)
        if labelled is not None:
            info["n_target_labels"] = labelled.n_samples
        history = self.train(
            model,
            self.pair.source_train,
            self.pair.unlabelled_target,
            terms=terms,
            source_weights=weights,
            target_labelled=labelled,
        )
        return StageOutcome(model, history, info)

    def _labelled_target(self, terms: list[Term], params: dict[str, Configured]) -> Domain | None:
        """The few labelled target samples a term needs (``"labelled_target"``): ``k`` per class from
        the target train split, ``k`` the run's ``target_labels`` or else the term's ``shots``."""
        term = next((t for t in terms if "labelled_target" in t.needs), None)
        if term is None:
            return None
        k = self.cfg.target_labels or params[term.name].params.shots
        return few_shot(self.pair.target_train, k, self.cfg.seed)

    def transform(
        self, specs: list[MethodSpec], params: dict[str, Configured], model: Classifier
    ) -> TransformOutcome:
        """The transforms among ``specs`` applied in order, each to a copy of the model so far."""
        final = TransformOutcome(model)
        for spec in specs:
            if isinstance(spec.builder, TransformBuilder):
                self.stage_event("adapt", SPANS["adapt"][1], f"applying {spec.name}")
                ctx = TransformContext(
                    model=copy.deepcopy(final.model),
                    source=self.pair.source_train,
                    source_val=self.pair.source_val,
                    target=self.pair.unlabelled_target,
                    seed=self.cfg.seed,
                    device=self.cfg.device,
                )
                outcome = spec.builder.build(params[spec.name].params, ctx)
                final.model, final.info[spec.name] = outcome.model, outcome.info
                if outcome.source_model is not None:
                    final.source_model = outcome.source_model
        return final

    def _weights_context(self, baseline: Classifier) -> WeightsContext:
        source, target = self.pair.source_train, self.pair.unlabelled_target
        Fs = extract_features(baseline, source.X, device=self.cfg.device)
        Ft = extract_features(baseline, target.X, device=self.cfg.device)
        return WeightsContext(
            source,
            target,
            (Fs, Ft),
            lambda: raw_features(source.X, target.X, RAW_PCA_DIM, self.cfg.seed),
            self.cfg.seed,
        )


def _weights_summary(w: torch.Tensor) -> dict[str, float]:
    """Range of the source weights and Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    return {
        "min": float(w.min()),
        "max": float(w.max()),
        "effective_sample_size": float(w.sum() ** 2 / (w * w).sum()),
        "n": len(w),
    }


def _evaluate(result: AdaptResult, run: _Run, baseline: CachedBaseline, final: TransformOutcome) -> None:
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
    run = _Run(cfg, pair, Callbacks(on_event, should_stop), baseline_cache or None)
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
