"""A run's stages and the state they share (:class:`RunStages`): the source-only baseline (trained, or
reused from the :class:`~tlcore.adapt.cache.BaselineCache`) and its evaluation, the adapt stage by the
methods' kind, the transforms; each stage's train settings and share of the run's progress.
:func:`tlcore.adapt.pipeline.run_adaptation` runs them in order (its module docstring tells how)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, Literal

import torch

from tlcore.adapt.cache import BaselineCache, CachedBaseline, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.evaluate import ModelEvaluation, evaluate_model, evaluation_settings
from tlcore.adapt.pair import RunPair
from tlcore.adapt.terms import build_terms, seeded_build
from tlcore.data.domain import Domain
from tlcore.data.splits import few_shot
from tlcore.device import pick_device
from tlcore.events import TORCH_THREADS, Callbacks, ProgressEvent
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
from tlcore.models import Classifier, build_model
from tlcore.training import History, Term, TrainSettings, train

SPANS = {"baseline": (0.0, 0.45), "adapt": (0.45, 0.9)}  # share of the run's progress per stage
RAW_PCA_DIM = 50  # raw-input features for instance weights: flattened, PCA to this width
BASELINE_REUSED = "source-only baseline reused from the cache"  # its stage event's message


def baseline_reused(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a run's events say its source-only baseline came from the cache: trained by an earlier
    run with the same source, model and settings (the log's baseline epochs, replayed, are its). A done
    run's result stores it too (``info["baseline_cached"]``); the events answer for live and older runs."""
    return any(e.get("kind") == "stage" and e.get("message") == BASELINE_REUSED for e in events)


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


def network(cfg: AdaptConfig, input_shape: tuple[int, ...], n_classes: int) -> Classifier:
    """A fresh, unseeded copy of the network a run of ``cfg`` trains (backbone, bottleneck); callers seed."""
    return build_model(cfg.model, tuple(input_shape), n_classes, **cfg.model_options)


class RunStages:
    """One run's state shared by its stages."""

    def __init__(
        self, cfg: AdaptConfig, pair: RunPair, callbacks: Callbacks, cache: BaselineCache | None
    ) -> None:
        self.cfg, self.pair, self.callbacks, self.cache = cfg, pair, callbacks, cache
        self.shape, self.n_classes = pair.source_train.shape, pair.source_train.n_classes
        self.threads = torch.get_num_threads()  # its baseline's key holds them
        self.key = baseline_key(cfg, pick_device(cfg.device).type, self.threads)
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

    def stage_event(self, stage: str, fraction: float, message: str, **metrics: float) -> None:
        self.callbacks.emit(ProgressEvent("stage", stage, fraction, metrics=metrics, message=message))

    def baseline(self) -> CachedBaseline:
        """The source-only baseline: from the cache when it holds this run's (its key holds the torch
        thread count: helper-265 read a run on 2 threads that reused a 1-thread baseline differ from the
        same run in a fresh workspace), else trained (and cached); its stage event says the count
        (:data:`~tlcore.events.TORCH_THREADS`), which a run that ends before its result keeps there alone."""
        threads = {TORCH_THREADS: self.threads}
        cached = self.cache.get(self.key) if self.cache is not None else None
        if cached is not None:
            self.baseline_cached = True
            self.stage_event("baseline", end := SPANS["baseline"][1], BASELINE_REUSED, **threads)
            for r in cached.history:  # its epochs, replayed: a live run's adapt epochs follow them
                self.callbacks.emit(ProgressEvent("epoch", "baseline", end, int(r["epoch"]), metrics=r))
            return cached
        self.stage_event("baseline", 0.0, "training the source-only baseline", **threads)
        model = self.new_model()
        history = train(
            model,
            self.pair.source_train,
            settings=_settings(self.cfg, "baseline"),
            source_val=self.pair.source_val,
            target_test=self.pair.target_test,
            callbacks=self.callbacks,
        )
        entry = CachedBaseline(model, history.epochs, history.status, history.reason, threads=self.threads)
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
