"""THE training loop: one for every method (skada's ``DomainAwareCriterion`` idea, typed).

Each step draws a source batch (labelled) and, when a target domain is given, a target batch
(labels unused), runs the model once on both, builds a :class:`StepInputs` and minimises

    L = mean_i w_i CE(f(x_i^s), y_i^s)  +  sum_k weight_k * objective_k(StepInputs)

where ``w`` are per-sample source weights (instance-based methods; 1 otherwise) and each objective
is an ``nn.Module`` returning ``(loss, logs)``. Its parameters (e.g. DANN's discriminator) are
trained by the same optimizer (Adam, constant learning rate: a decaying one stalls the
self-training terms, which take effect late: IM ramps up, pseudo-labels need confident predictions;
:func:`adam`). Instead of a decay, a stage may average its weights over the steps
(``TrainSettings.ema_decay``, :mod:`tlcore.weight_average`): the training path stays the same, what
is scored and kept is the average, which settles where the live weights keep moving.

A term may declare extra inputs (:data:`~tlcore.training.step.Need`); the loop then adds them to
every step, for all terms.

Batches come from the data layer's :class:`~tlcore.data.splits.PairedBatchSampler`, full batches:
an epoch is one pass over the source, or, when a target is given, over the larger of the two
domains (the smaller side cycles), so each epoch draws every target sample even when the target
outnumbers the source. Seeded: batch order and augmentation
draw from ``torch.Generator`` s derived from the seed, dropout from the global generator reseeded
inside a ``fork_rng`` block, so the same seed gives the same history on CPU. Callbacks: progress
events (:class:`~tlcore.events.ProgressEvent`), early stopping, stopping once the target predictions
settle (``settle_tol``, :mod:`tlcore.stopping`: label-free; the epochs then record ``target_changed``),
a NaN/inf guard and cooperative cancellation; each ends the loop with a status and reason.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from tlcore.data.augment import random_affine, strong_augment
from tlcore.data.domain import Domain
from tlcore.data.rng import derive_seed, generator
from tlcore.data.splits import PairedBatchSampler
from tlcore.device import pick_device
from tlcore.events import Callbacks, ProgressEvent
from tlcore.features import model_outputs
from tlcore.models import Classifier
from tlcore.stopping import SETTLED_EPOCHS, EarlyStopping, PredictionChange, Settling
from tlcore.training.optimizer import adam
from tlcore.training.step import StepInputs, Term
from tlcore.weight_average import WeightAverage

Status = Literal["done", "stopped_early", "cancelled", "failed"]


@dataclass(frozen=True)
class TrainSettings:
    """How one stage trains. ``backbone_lr_mult = 0`` freezes the backbone (kept in eval mode)."""

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    backbone_lr_mult: float = 1.0
    augment: bool = False
    seed: int = 0
    steps_per_epoch: int | None = None  # default: floor(max(n_s, n_t) / batch_size) (n_s: no target)
    patience: int | None = None  # early stopping on the source validation loss
    log_every: int = 20
    device: str | None = None
    stage: str = "train"
    span: tuple[float, float] = (0.0, 1.0)  # share of the whole run this stage covers (for events)
    ema_decay: float = 0.0  # > 0: scores and final weights are the weights' moving average (WeightAverage)
    settle_tol: float = 0.0  # > 0: record target_changed, stop once <= tol SETTLED_EPOCHS epochs running


@dataclass
class History:
    """Per-epoch records of one stage and how it ended."""

    stage: str
    epochs: list[dict[str, float]] = field(default_factory=list)
    status: Status = "done"
    reason: str = ""


def evaluate(model: Classifier, domain: Domain, device: torch.device | None = None) -> dict[str, float]:
    """``accuracy`` and mean cross-entropy ``loss`` of ``model`` on a labelled ``domain``."""
    if domain.y is None or not len(domain.y):
        return {}
    logits, _ = model_outputs(model, domain.X, device=device)
    return {
        "accuracy": float((logits.argmax(1) == domain.y).float().mean()),
        "loss": float(nn.functional.cross_entropy(logits, domain.y)),
    }


@dataclass(frozen=True)
class _Data:
    """The domains one stage sees: trained on (``source``, ``target``) and scored on (the rest)."""

    source: Domain
    target: Domain | None
    source_weights: torch.Tensor | None
    source_val: Domain | None
    target_test: Domain | None
    target_labelled: Domain | None = None  # a few labelled target samples (semi-supervised terms)


class _Loop:
    """The state of one training stage: model, optimizer, batch streams, generators."""

    def __init__(
        self, model: Classifier, data: _Data, settings: TrainSettings, terms: Sequence[Term]
    ) -> None:
        if data.source.y is None:
            raise ValueError("the training domain must be labelled")
        self.model, self.data, self.settings, self.terms = model, data, settings, terms
        self.device = pick_device(settings.device)
        model.to(self.device)
        modules = [t.objective for t in terms if isinstance(t.objective, nn.Module)]
        groups = model.param_groups(settings.lr, settings.backbone_lr_mult)
        for module in modules:
            module.to(self.device)
            params = list(module.parameters())
            if params:
                groups.append({"params": params, "lr": settings.lr})
        self.optimizer = adam(groups, settings.lr, self.device, settings.weight_decay)
        self.frozen = settings.backbone_lr_mult == 0
        n_s = data.source.n_samples
        w = data.source_weights
        self.weights = torch.ones(n_s) if w is None else w.float().cpu()
        # Without a target the sampler's target side (size 1) is drawn but unused.
        n_t = 1 if data.target is None else data.target.n_samples
        over = "source" if data.target is None else "larger"
        sampler = PairedBatchSampler(n_s, n_t, settings.batch_size, settings.seed, drop_last=True, over=over)
        self.n_steps = settings.steps_per_epoch or len(sampler)
        self.total = self.n_steps * settings.epochs
        self.batches = itertools.chain.from_iterable(sampler.epoch(e) for e in itertools.count())
        self.augment_gen = generator(settings.seed, "augment")
        needs = frozenset().union(*(t.needs for t in terms))
        strong = "strong_target_view" in needs
        self.strong_gen = generator(settings.seed, "strong_augment") if strong else None
        self.labelled: Domain | None = None
        if "labelled_target" in needs:
            if data.target_labelled is None or data.target_labelled.y is None:
                raise ValueError("a term needs labelled target samples: pass train(target_labelled=...)")
            self.labelled = data.target_labelled
            self.labelled_gen = generator(settings.seed, "labelled_target")
        self.average = WeightAverage(settings.ema_decay) if settings.ema_decay else None
        self.teacher = self.average if "target_teacher" in needs else None  # the mean teacher's weights
        self.change: PredictionChange | None = None  # only when the stage may stop once settled
        self.settling: Settling | None = None
        if settings.settle_tol and data.target is not None:
            self.change = PredictionChange(data.target, settings.seed, self.device)
            self.settling = Settling(settings.settle_tol)

    def fraction(self, done: float) -> float:
        lo, hi = self.settings.span
        return lo + (hi - lo) * done

    def train_mode(self) -> None:
        self.model.train()
        if self.frozen:
            self.model.backbone.eval()  # frozen BatchNorm statistics too

    def inputs(self, epoch: int, step: int) -> StepInputs:
        """Draw the step's batches and run the model once on source and target together."""
        source, target = self.data.source, self.data.target
        idx, idx_t = next(self.batches)
        x_s, y_s = source.X[idx], source.y[idx]  # type: ignore[index]
        if self.settings.augment and source.is_image:
            x_s = random_affine(x_s, self.augment_gen)
        x_t = None if target is None else target.X[idx_t]
        x_t_strong = None  # the same target batch, strongly augmented, when a term needs it
        if x_t is not None and self.strong_gen is not None:
            x_t_strong = strong_augment(x_t, self.strong_gen)
        x_tl, y_tl = self.labelled_batch()
        parts = [part for part in (x_s, x_t, x_t_strong, x_tl) if part is not None]
        x = torch.cat(parts).to(self.device)  # one forward pass: B_s + B_t (+ B_t strong) (+ B_l)
        logits, feats = self.model(x)
        b, n_t = len(x_s), 0 if x_t is None else len(x_t)
        n_ts = 0 if x_t_strong is None else n_t
        s, t, ts = slice(0, b), slice(b, b + n_t), slice(b + n_t, b + n_t + n_ts)
        tl = slice(b + n_t + n_ts, None)
        has_t, has_ts, has_tl = x_t is not None, x_t_strong is not None, x_tl is not None
        return StepInputs(
            epoch=epoch,
            step=step,
            progress=step / self.total,
            x_s=x[s],
            y_s=y_s.to(self.device),
            w_s=self.weights[idx].to(self.device),
            logits_s=logits[s],
            feats_s=feats[s],
            x_t=x[t] if has_t else None,
            logits_t=logits[t] if has_t else None,
            feats_t=feats[t] if has_t else None,
            x_t_strong=x[ts] if has_ts else None,
            logits_t_strong=logits[ts] if has_ts else None,
            feats_t_strong=feats[ts] if has_ts else None,
            x_tl=x[tl] if has_tl else None,
            y_tl=None if y_tl is None else y_tl.to(self.device),
            logits_tl=logits[tl] if has_tl else None,
            feats_tl=feats[tl] if has_tl else None,
            logits_t_teacher=self.teacher_logits(x[t]) if has_t else None,
        )

    @torch.no_grad()
    def teacher_logits(self, x_t: torch.Tensor) -> torch.Tensor | None:
        """The target batch's logits under the weight average, when a term needs them and it has one."""
        teacher = None if self.teacher is None else self.teacher.teacher(self.model)
        return None if teacher is None else teacher(x_t)[0]

    def labelled_batch(self) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """``min(batch_size, n)`` labelled target samples drawn afresh (without replacement), augmented
        as the source is; ``(None, None)`` when no term needs them."""
        if self.labelled is None:
            return None, None
        n = self.labelled.n_samples
        idx = torch.randperm(n, generator=self.labelled_gen)[: min(self.settings.batch_size, n)]
        x, y = self.labelled.X[idx], self.labelled.y[idx]  # type: ignore[index]
        if self.settings.augment and self.labelled.is_image:
            x = random_affine(x, self.labelled_gen)
        return x, y

    def loss(self, inputs: StepInputs) -> tuple[torch.Tensor, dict[str, float]]:
        """Weighted source cross-entropy plus the weighted terms, and every part as a float."""
        ce = nn.functional.cross_entropy(inputs.logits_s, inputs.y_s, reduction="none")
        loss = (inputs.w_s * ce).mean()
        logs = {"loss_source": loss.item()}
        for term in self.terms:
            term_loss, term_logs = term.objective(inputs)
            loss = loss + term.weight * term_loss
            logs[f"loss_{term.name}"] = term_loss.item()
            logs.update({f"{term.name}_{k}": v for k, v in term_logs.items()})
        logs["loss"] = loss.item()
        return loss, logs

    def update(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.average is not None:
            self.average.update(self.model)

    def scored_model(self) -> Classifier:
        """The model the epoch's scores and early stopping judge: the weight average when there is one."""
        return self.model if self.average is None else self.average.averaged(self.model)

    def scores(self, model: Classifier) -> dict[str, float]:
        """End-of-epoch accuracies of ``model``: source validation (and its loss), labelled target test."""
        out: dict[str, float] = {}
        source_val, target_test = self.data.source_val, self.data.target_test
        if source_val is not None and source_val.labelled:
            val = evaluate(model, source_val, self.device)
            out |= {"source_accuracy": val["accuracy"], "source_val_loss": val["loss"]}
        if target_test is not None and target_test.labelled:
            out["target_accuracy"] = evaluate(model, target_test, self.device)["accuracy"]
        return out

    def run(self, history: History, stopper: EarlyStopping | None, callbacks: Callbacks) -> None:
        """All epochs; sets ``history.status``/``reason`` when it ends before the last one."""
        settings, stage, step = self.settings, self.settings.stage, 0
        for epoch in range(1, settings.epochs + 1):
            self.train_mode()
            doing = f"epoch {epoch} of {settings.epochs}"  # a run card's progress: "adapt: epoch 3 of 10"
            sums: dict[str, float] = {}
            for _ in range(self.n_steps):
                if callbacks.should_stop is not None and callbacks.should_stop():
                    history.status, history.reason = "cancelled", f"cancelled at epoch {epoch}, step {step}"
                    return
                loss, logs = self.loss(self.inputs(epoch, step))
                bad = [k for k, v in logs.items() if k.startswith("loss") and not math.isfinite(v)]
                if bad:
                    history.status = "failed"
                    history.reason = f"{', '.join(bad)} became {logs[bad[0]]} at epoch {epoch}, step {step}"
                    return
                self.update(loss)
                step += 1
                for k, v in logs.items():
                    sums[k] = sums.get(k, 0.0) + v
                if settings.log_every and step % settings.log_every == 0:
                    at = self.fraction(step / self.total)
                    callbacks.emit(ProgressEvent("step", stage, at, epoch, step, logs, doing))
            scored = self.scored_model()
            record = {
                "epoch": float(epoch),
                **{k: v / self.n_steps for k, v in sums.items()},
                **self.scores(scored),
            }
            changed = None if self.change is None else self.change.update(scored)
            if changed is not None:
                record["target_changed"] = changed
            history.epochs.append(record)
            done = self.fraction(epoch / settings.epochs)
            callbacks.emit(ProgressEvent("epoch", stage, done, epoch, step, record, doing))
            if stopper is not None and stopper.should_stop(scored, record["source_val_loss"], epoch):
                if epoch < settings.epochs:
                    history.status = "stopped_early"
                    history.reason = (
                        f"source validation loss did not improve for {settings.patience} epochs; "
                        f"kept epoch {stopper.best_epoch}"
                    )
                return
            if self.settling is not None and self.settling.should_stop(changed):
                if epoch < settings.epochs:
                    history.status = "stopped_early"
                    history.reason = (
                        f"target predictions settled: at most {self.settling.tol:.1%} of them changed "
                        f"in {SETTLED_EPOCHS} epochs running; stopped at epoch {epoch}"
                    )
                return


def train(
    model: Classifier,
    source: Domain,
    target: Domain | None = None,
    *,
    settings: TrainSettings,
    terms: Sequence[Term] = (),
    source_weights: torch.Tensor | None = None,
    source_val: Domain | None = None,
    target_test: Domain | None = None,
    target_labelled: Domain | None = None,
    callbacks: Callbacks | None = None,
) -> History:
    """Train ``model`` in place on labelled ``source`` (+ unlabelled ``target`` batches); its history.

    ``source_weights`` (length ``n_s``, mean 1) weight the source cross-entropy. ``source_val`` gives
    ``source_accuracy``/``source_val_loss`` per epoch and the early-stopping criterion (patience on
    the source validation loss; the best weights are restored); ``target_test`` gives
    ``target_accuracy`` (scoring only, never a training signal); ``target_labelled``, a few labelled
    target samples, feeds the terms that need ``"labelled_target"``. ``settings.ema_decay > 0``: the
    scores, the early-stopping snapshots and the weights ``model`` ends with are the moving average of
    its weights over the stage's steps (:class:`~tlcore.weight_average.WeightAverage`).
    """
    data = _Data(source, target, source_weights, source_val, target_test, target_labelled)
    loop = _Loop(model, data, settings, terms)
    history = History(stage=settings.stage)
    stopper = EarlyStopping(settings.patience) if settings.patience and source_val is not None else None
    if loop.frozen:
        model.backbone.requires_grad_(False)
    try:
        with torch.random.fork_rng(devices=[loop.device] if loop.device.type == "cuda" else []):
            torch.manual_seed(derive_seed(settings.seed, settings.stage, "dropout"))
            loop.run(history, stopper, callbacks or Callbacks())
    finally:
        model.backbone.requires_grad_(True)
    if loop.average is not None and history.status in ("done", "stopped_early"):
        loop.average.load_into(model)
    if stopper is not None and history.status in ("done", "stopped_early"):
        stopper.restore(model)
    return history
