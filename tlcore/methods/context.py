"""What the pipeline hands a method's ``build``, per kind (see :mod:`tlcore.methods.registry`).

Target labels: :class:`WeightsContext`, :class:`TermContext` and :class:`TransformContext` carry
none. :class:`StageContext` carries the target *train* split with its labels (when it has them)
because ``target_only`` and ``finetune`` are defined by using them; the target test split never
reaches a method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from tlcore.data.domain import Domain
from tlcore.method_params import FeatureSpace
from tlcore.models import Classifier
from tlcore.training import History


@dataclass(frozen=True)
class TermContext:
    """Sizes a loss term needs to build its modules (e.g. DANN's discriminator)."""

    n_classes: int
    feature_dim: int


@dataclass(frozen=True)
class WeightsContext:
    """Source and target train splits and their features, for computing source sample weights.

    ``features("model")``: the source-only baseline's penultimate features; ``features("raw")``:
    raw inputs (:func:`tlcore.features.raw_features`: flattened, PCA-reduced, seeded).
    """

    source: Domain
    target: Domain  # unlabelled
    model_features: tuple[torch.Tensor, torch.Tensor]  # N_s x d, N_t x d
    raw_features: Callable[[], tuple[torch.Tensor, torch.Tensor]]  # computed on demand
    seed: int

    def features(self, space: FeatureSpace) -> tuple[torch.Tensor, torch.Tensor]:
        if space == "model":
            return self.model_features
        if space == "raw":
            return self.raw_features()
        raise ValueError(f"unknown feature space {space!r}: use 'model' or 'raw'")

    def normalise(self, w: torch.Tensor, clip: float, per_class: bool) -> torch.Tensor:
        """Weights with mean 1 and none above ``clip``, within each source class when ``per_class``.

        Per class, the source class priors are kept: weights then only choose *which* samples of a
        class count, and cannot act as a (spurious) label-shift correction.
        """
        w = w.double().clamp_min(0.0)
        if not per_class or self.source.y is None:
            return cap_mean_one(w, clip).float()
        out = torch.empty_like(w)
        for c in torch.unique(self.source.y):
            members = self.source.y == c
            out[members] = cap_mean_one(w[members], clip)
        return out.float()


def cap_mean_one(v: torch.Tensor, clip: float) -> torch.Tensor:
    """``min(s v, clip)`` with the scale ``s`` chosen (bisection) so that its mean is 1.

    Unlike "divide by the mean, clip, divide again", the result never exceeds ``clip`` (``>= 1``);
    all-zero ``v`` gives uniform weights.
    """
    if float(v.max()) <= 0:
        return torch.ones_like(v)
    lo, hi = 0.0, 1.0 / float(v[v > 0].min()) * clip  # at hi every positive entry is capped
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if float((mid * v).clamp_max(clip).mean()) < 1.0:
            lo = mid
        else:
            hi = mid
    return (hi * v).clamp_max(clip)


@dataclass(frozen=True)
class StageContext:
    """Everything a stage method needs to build the adapted model.

    ``train(model, labelled, unlabelled=None, **overrides)`` runs THE training loop with the run's
    settings (``overrides``: fields of :class:`~tlcore.training.TrainSettings`, e.g.
    ``backbone_lr_mult``), wired to the run's progress events, cancellation and scoring; without
    early stopping unless ``patience`` is passed (the source validation loss is no criterion for
    a model trained on target labels).
    ``new_model()`` builds a freshly, reproducibly initialised model; ``features(model, domain)``
    returns penultimate features (``N x d``).
    """

    baseline: Classifier  # a copy of the trained source-only model: free to modify
    source: Domain  # source train split
    target: Domain  # target train split (labels only for target_only / finetune)
    target_labels: int  # AdaptConfig.target_labels (k per class; 0 = method default)
    seed: int
    batch_size: int
    train: Callable[..., History]
    new_model: Callable[[], Classifier]
    features: Callable[[Classifier, Domain], torch.Tensor]


@dataclass
class StageOutcome:
    """A stage's adapted model, its training history (None for closed forms) and extra numbers."""

    model: Classifier
    history: History | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TransformContext:
    """What a post-training transform sees: a copy of the trained model (free to modify) and the
    run's splits, the target's without labels."""

    model: Classifier  # a copy of the model the earlier methods produced
    source: Domain  # labelled source train split
    source_val: Domain  # labelled source validation split
    target: Domain  # unlabelled target train split
    seed: int
    device: str | None


@dataclass
class TransformOutcome:
    """The transformed model, the numbers worth keeping in the run's ``info`` and, for a transform
    that adapts the model to the target domain only, ``source_model``: the model that scores source
    inputs (AdaBN: the same weights with the source batch-normalisation statistics, each domain
    normalised by its own). None: ``model`` serves both domains. The run's source scores (source
    accuracy, the source side of the gap, UMAP and validators) use it; the target's and the stored
    model are ``model``'s."""

    model: Classifier
    info: dict[str, Any] = field(default_factory=dict)
    source_model: Classifier | None = None


SOURCE_MODEL_TRANSFORMS = ("adabn",)
"""The transforms whose outcome has a ``source_model``: a run of one stores and exports the target's
model, and scored its source with another (its checkpoint keeps it since 2026-12-05)."""
