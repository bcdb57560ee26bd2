"""When a stage stops before its last epoch: patience on the source validation loss
(:class:`EarlyStopping`), or its target predictions settled (:class:`Settling`), neither looking at
target labels.

Settling: at the end of each epoch the scored model (the weight average when there is one) predicts
a fixed probe of the unlabelled target domain (at most :data:`PROBE_SIZE` samples, drawn with the
stage's seed); the record gets

    target_changed = mean_i [ argmax f_e(x_i) != argmax f_{e-1}(x_i) ],

the share of the probe whose predicted class moved since the previous epoch (from the second epoch
on). Alignment and self-training terms move many target predictions early and few once the model
has settled, so a stage may stop once ``target_changed <= tol`` in :data:`SETTLED_EPOCHS`
consecutive epochs (``TrainSettings.settle_tol``): the run ends when its answer stops changing,
not after a fixed number of epochs. It looks at predictions only, never at target labels. The probe
costs a forward pass each epoch, so a stage records it only when it may stop on it.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from tlcore.data.domain import Domain
from tlcore.data.rng import generator
from tlcore.features import model_outputs
from tlcore.models import Classifier

PROBE_SIZE = 2000  # target samples predicted each epoch (a forward pass, no gradients)
CHUNK = 512  # probe samples gathered at a time (no copy of the whole probe: images may be large)
SETTLED_EPOCHS = 2  # consecutive epochs at or under the tolerance before a stage stops


class PredictionChange:
    """The share of a fixed target probe whose predicted class changed since the previous call."""

    def __init__(self, target: Domain, seed: int, device: torch.device) -> None:
        idx = torch.randperm(target.n_samples, generator=generator(seed, "settle-probe"))[:PROBE_SIZE]
        self.X, self.idx = target.X, idx.sort().values
        self.device = device
        self.previous: torch.Tensor | None = None

    def update(self, model: Classifier) -> float | None:
        """``target_changed`` for ``model`` against the previous call's predictions (None the first time)."""
        parts = [model_outputs(model, self.X[c], device=self.device)[0] for c in self.idx.split(CHUNK)]
        predicted = torch.cat(parts).argmax(1)
        changed = None if self.previous is None else float((predicted != self.previous).float().mean())
        self.previous = predicted
        return changed


class Settling:
    """Stops a stage once ``target_changed <= tol`` in :data:`SETTLED_EPOCHS` consecutive epochs."""

    def __init__(self, tol: float) -> None:
        self.tol, self.streak = tol, 0

    def should_stop(self, changed: float | None) -> bool:
        self.streak = self.streak + 1 if changed is not None and changed <= self.tol else 0
        return self.streak >= SETTLED_EPOCHS


class EarlyStopping:
    """Patience on the source validation loss (target labels are never looked at); keeps the best weights."""

    def __init__(self, patience: int) -> None:
        self.patience, self.best, self.best_epoch = patience, math.inf, 0
        self.state: dict[str, torch.Tensor] | None = None

    def should_stop(self, model: nn.Module, val_loss: float, epoch: int) -> bool:
        if val_loss < self.best:
            self.best, self.best_epoch = val_loss, epoch
            self.state = copy.deepcopy(model.state_dict())
        return epoch - self.best_epoch >= self.patience

    def restore(self, model: nn.Module) -> None:
        if self.state is not None:
            model.load_state_dict(self.state)
