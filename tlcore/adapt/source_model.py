"""The source-only model of a pair, and what it says about the target's labels.

Estimating label shift (:mod:`tlcore.metrics.prior_shift`) needs a model trained on the source
only and the source validation split it never saw. Every run trains that model first (its
baseline) and keeps it in the workspace's :class:`~tlcore.adapt.cache.BaselineCache`, keyed by the
run's config; :func:`find_source_only_model` looks there for a pair's, and when there is none
returns :class:`NeedsSourceOnlyModel`, which says how to get one (the exact ``adapt`` command, and
the config the app's button launches) instead of failing. :func:`label_shift_of` then estimates
the target's class proportions with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from tlcore.adapt.cache import NOT_CACHED, BaselineCache, CachedBaseline, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import load_run_pair
from tlcore.adapt.source_only_run import runs_show_command, source_only_command, source_only_config
from tlcore.data.domain import Domain
from tlcore.data.harmonise import misfit
from tlcore.data.ink import photo_like, without_blank
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.features import model_outputs
from tlcore.metrics.coverage import NoveltySettings, novelty
from tlcore.metrics.prior_shift import LabelShiftSettings, estimate_label_shift
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate
from tlcore.metrics.priors import class_prior
from tlcore.models import Classifier
from tlcore.workspace import Workspace

_NAMED = (
    "model",
    "image_size",
    "epochs",
    "seed",
    "batch_size",
    "lr",
    "bottleneck",
    "augment",
    "test_fraction",
)
_DEFAULTS = AdaptConfig.defaults()
PICKED = (
    "the most accurate on source validation of the pair's {n} cached baselines (a later run can displace it)"
)


@dataclass(frozen=True)
class SourceOnlyModel:
    """A model trained on the source only; ``config`` is the run config it is the baseline of (its
    pair, seed and splits), ``origin`` where it was found (``baseline cache`` or ``run ID``),
    ``source_accuracy`` its accuracy on its source validation split (None when no run evaluated it),
    ``picked`` how it was chosen among the pair's baselines ('' when it was named), ``run_id`` a run
    whose baseline it is, one a user can look up ('' when the workspace's runs were not searched, or
    none of them is left), ``workspace`` the ``--workspace`` its ``runs show`` command carries
    (:mod:`tlcore.commands`), ``threads`` the torch threads a cached baseline trained on (None: not
    kept, or not a cached baseline)."""

    model: Classifier
    config: AdaptConfig
    origin: str
    source_accuracy: float | None = None
    picked: str = ""
    run_id: str = ""
    workspace: str | None = None
    threads: int | None = None

    def describe(self) -> str:
        """Which model reads the target's class proportions, the one wording of the CLI, its JSON, the
        report and the Diagnose page: ``Read by the cached source-only baseline of run ID (source
        validation accuracy 82.1%), ...; see that run with: python -m tlcore runs show ID.``, or of the
        config ``seed=5, epochs=3`` when no run is known (QA: a config alone could not be looked up)."""
        changed = [
            f"{f}={getattr(self.config, f)}" for f in _NAMED if getattr(self.config, f) != _DEFAULTS[f]
        ]
        config = f"the config {', '.join(changed)}" if changed else "the default config"
        own = self.origin.startswith("run ")  # a source_only run's own model, named by its run already
        show = (
            f"; see that run with: {runs_show_command(self.run_id, workspace=self.workspace)}"
            if self.run_id and not own
            else ""
        )
        baseline = f"run {self.run_id}" if show else config
        which = f"{self.origin}'s model" if own else f"the cached source-only baseline of {baseline}"
        accuracy = (
            ""
            if self.source_accuracy is None
            else f" (source validation accuracy {self.source_accuracy:.1%})"
        )
        return f"Read by {which}{accuracy}{f', {self.picked}' if self.picked else ''}{show}."


@dataclass(frozen=True)
class NeedsSourceOnlyModel:
    """No source-only model of the pair in the workspace yet: ``command`` trains one (and so does
    launching ``config``), with ``--workspace workspace`` when given (:mod:`tlcore.commands`);
    ``reason`` says what was looked for."""

    source: str
    target: str
    config: AdaptConfig
    reason: str
    workspace: str | None = None

    @property
    def command(self) -> str:
        return source_only_command(self.config, workspace=self.workspace)

    @property
    def message(self) -> str:
        return f"{self.reason}; train one with: {self.command}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "needs_source_only_model": True,
            "source": self.source,
            "target": self.target,
            "reason": self.reason,
            "command": self.command,
            "config": self.config.to_dict(),
            "message": self.message,
        }


def find_source_only_model(
    config: AdaptConfig,
    workspace: Workspace,
    candidates: Iterable[tuple[AdaptConfig, int | None]] = (),
    *,
    threads: int | None,
) -> SourceOnlyModel | NeedsSourceOnlyModel:
    """The cached baseline of ``config`` trained on ``threads`` torch threads (the count a run of it
    trains on; the cache's :class:`~tlcore.adapt.cache.BaselineKey`) alone, or with ``candidates`` (the
    configs of the same pair's done runs, oldest first, each with the count it trained on, None where
    its result records none) the one of them all that :func:`source_val_accuracy` ranks first (ties,
    and baselines never evaluated, by that order: ``config`` first); else :class:`NeedsSourceOnlyModel`.

    The choice reads no target label and no finishing order: a model more accurate on its source
    validation split has a confusion matrix there closer to diagonal, so better conditioned, and the
    estimators' errors grow with its conditioning (Lipton et al. 2018: ``1 / sigma_min``); a newer run
    displaces it only by a strictly higher accuracy."""
    cache = BaselineCache.of_workspace(workspace)
    candidates = tuple(candidates)
    found: dict[str, tuple[AdaptConfig, CachedBaseline]] = {}  # by checkpoint: runs share baselines
    for candidate, count in ((config, threads), *candidates):
        key = baseline_key(candidate, pick_device(candidate.device).type, count)
        if (entry := cache.get(key)) is not None:
            found.setdefault(key.at(entry.threads).name, (candidate, entry))  # the entry it read
    if found:
        best, entry = max(found.values(), key=lambda pair: source_val_accuracy(pair[1]))  # ties: the first
        accuracy = source_val_accuracy(entry)
        picked = PICKED.format(n=len(found)) if len(found) > 1 else ""
        return SourceOnlyModel(
            entry.model,
            source_only_config(best),
            "baseline cache",
            accuracy if accuracy >= 0 else None,
            picked,
            threads=entry.threads,
        )
    reason = f"no source-only model of {config.source} -> {config.target} in this workspace"
    if candidates:  # QA: a returning user's runs were there, their baselines trained by an older version
        runs = f"baselines of its {len(candidates)} done runs are" if len(candidates) > 1 else ""
        reason += f": the source-only {runs or 'baseline of its done run is'} {NOT_CACHED}"
    return NeedsSourceOnlyModel(config.source, config.target, source_only_config(config), reason)


def source_val_accuracy(entry: CachedBaseline) -> float:
    """A cached baseline's accuracy on its source validation split (its evaluation's validator score,
    :class:`~tlcore.adapt.cache.CachedBaseline` ``before``); -1 when no run has evaluated it yet."""
    validators = (entry.before or {}).get("validators") or {}
    return float(validators.get("source_accuracy", -1.0))


def label_shift_of(
    found: SourceOnlyModel,
    workspace: Workspace | None,
    target: Domain | None = None,
    settings: LabelShiftSettings = LabelShiftSettings(),
) -> LabelShiftEstimate:
    """The target's class proportions estimated with a source-only model (BBSE and EM with bands).

    The source validation split is the one of ``found.config`` (held out from the model's training);
    ``target`` defaults to every sample of that config's target (train and test splits), else must
    be harmonised with a source naming the model's classes (any such source: another sample of
    it, a shift of it, an upload), with the model's sample shape
    (:func:`~tlcore.data.harmonise.misfit`; else a one-line :class:`TLError`). Target labels, when
    present, only fill ``true_prior``. ``support``: the target's novel share in the model's features
    against the validation split's
    (:attr:`~tlcore.metrics.prior_shift_estimate.LabelShiftEstimate.outside_support`).
    Blank images (no ink) are left out of both sides (:func:`tlcore.data.ink.without_blank`), and counted.
    """
    pair = load_run_pair(found.config, workspace)
    target = pair.target if target is None else target
    val = pair.source_val
    problem = misfit(target, val.shape, val.classes, f"the source-only model ({found.origin})")
    if problem:
        raise TLError(f"{problem}: it cannot read the target's class proportions")
    (val, n_blank_val), (target, n_blank_target) = without_blank(val), without_blank(target)
    device = found.config.device
    logits_val, features_val = model_outputs(found.model, val.X, device=device)
    logits_target, features_target = model_outputs(found.model, target.X, device=device)
    assert val.y is not None  # load_run_pair refuses an unlabelled source
    truth = class_prior(target.y, val.n_classes) if target.y is not None else None  # same classes
    estimate = estimate_label_shift(
        logits_val, val.y, logits_target, val.classes, settings=settings, true_target_prior=truth
    )
    support = novelty(features_val, features_target, NoveltySettings(seed=settings.seed), device=device)
    blank = {"n_blank_source_val": n_blank_val, "n_blank_target": n_blank_target}
    blank |= {"blank_photos": photo_like(val.X) or photo_like(target.X)}
    return replace(estimate, support=support, model=found.describe(), model_run=found.run_id, **blank)
