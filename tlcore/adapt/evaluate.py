"""The "evaluate" stage: accuracies, confusion, the feature-space gap, UMAP and the label-free
validators, before and after.

Accuracies, gap and UMAP score held-out data only: the source validation split and the target test
split (its labels are used for scoring, never for training). The validators
(:func:`tlcore.selection.scoring.score_model`) use the source validation split and the *unlabelled*
target train split; the stored target probabilities cover the whole harmonised target domain. The gap is
:func:`tlcore.metrics.gap.measure_gap` of the penultimate features of the source-only baseline
("before") and the adapted model ("after") under the default :class:`~tlcore.diagnosis_settings.GapSettings`
with the run's seed, exactly what ``python -m tlcore diagnose --features run:ID --held-out`` measures;
UMAP comes from :func:`tlcore.features.umap_projection`. The gap, the UMAP and the validators' domain
classifier embed both domains with the one model: after a transform that gives a source model (AdaBN's
source statistics) that model scores the source (accuracy, the validators' source probabilities), but
the features compared are the run's model's. Two embeddings put the domains apart by themselves: each
domain's BatchNorm statistics map its features by their own per-channel affine map, the features fill a
thin part of the bottleneck's space (its linear layer's image has at most as many dimensions as its
input; a table's samples vary in as many as it has columns), so the two images lie apart along
directions in which neither varies, and a linear domain classifier tells them apart even when both
domains are draws from one distribution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tlcore.adapt.pair import RunPair
from tlcore.data.domain import Domain
from tlcore.diagnosis_settings import GapSettings
from tlcore.features import model_outputs, umap_projection
from tlcore.metrics.gap import measure_gap
from tlcore.models import Classifier
from tlcore.selection.scores import ValidatorScores, ValidatorSettings
from tlcore.selection.scoring import score_model

UMAP_MAX_PER_DOMAIN = 500  # points per domain in the UMAP payload


def evaluation_settings(seed: int) -> dict[str, Any]:
    """The settings an evaluation depends on besides the model and data (cache validity): the
    :class:`~tlcore.diagnosis_settings.GapSettings` of the gap, the UMAP cap and the
    :class:`~tlcore.selection.scores.ValidatorSettings`."""
    return {
        **GapSettings(seed=seed).to_dict(),
        "umap_max_per_domain": UMAP_MAX_PER_DOMAIN,
        "validators": ValidatorSettings(seed=seed).to_dict(),
    }


@dataclass(frozen=True)
class ModelEvaluation:
    """One model evaluated: ``description`` (scores, gap and UMAP on the held-out splits, plain
    JSON-able values), its label-free ``validators`` and its softmax ``target_probabilities``
    (``n x K`` float32) on the whole harmonised target domain."""

    description: dict[str, Any]
    validators: ValidatorScores
    target_probabilities: np.ndarray

    def to_cache(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The baseline cache's ``before`` entry (tensors and plain values: a ``weights_only`` load)."""
        return {
            "settings": settings,
            "description": self.description,
            "validators": self.validators.to_dict(),
            "target_probabilities": torch.from_numpy(self.target_probabilities),
        }

    @classmethod
    def from_cache(cls, entry: dict[str, Any] | None, settings: dict[str, Any]) -> ModelEvaluation | None:
        """The cached evaluation when it was made with ``settings``, else None."""
        if entry is None or entry.get("settings") != settings or "validators" not in entry:
            return None
        target = entry["description"]["target"]
        if target is not None and "correct" not in target:  # cached before runs kept the paired test
            return None
        probabilities = entry["target_probabilities"].numpy()
        return cls(entry["description"], ValidatorScores.from_dict(entry["validators"]), probabilities)


def classification_scores(predictions: torch.Tensor, domain: Domain) -> dict[str, Any]:
    """``accuracy``, ``per_class_accuracy`` (class name -> accuracy, None without samples),
    ``confusion`` (``K x K`` counts, rows = true class, columns = predicted) and ``correct`` (whether
    each sample is right, in order: the paired test of two models, :mod:`tlcore.metrics.mcnemar`) on
    a labelled domain."""
    assert domain.y is not None
    k = domain.n_classes
    confusion = torch.bincount(domain.y * k + predictions, minlength=k * k).reshape(k, k)
    support = confusion.sum(1)
    right = predictions == domain.y
    per_class = {
        name: (float(confusion[i, i] / support[i]) if support[i] else None)
        for i, name in enumerate(domain.classes)
    }
    return {
        "accuracy": float(right.float().mean()),
        "per_class_accuracy": per_class,
        "confusion": confusion.tolist(),
        "correct": right.tolist(),
    }


def umap_payload(
    Fs: torch.Tensor,
    Ft: torch.Tensor,
    source: Domain,
    target: Domain,
    *,
    predictions: tuple[torch.Tensor, torch.Tensor],
    seed: int,
) -> dict[str, Any]:
    """Columns of a joint source/target UMAP: ``x``, ``y``, ``domain``, ``label`` (None when
    unlabelled), ``prediction``, plus ``classes`` (JSON-able lists)."""
    result = umap_projection(Fs, Ft, max_per_domain=UMAP_MAX_PER_DOMAIN, seed=seed)
    columns: dict[str, list[Any]] = {"x": [], "y": [], "domain": [], "label": [], "prediction": []}
    parts = (
        ("source", result.coords_source, result.index_source, source, predictions[0]),
        ("target", result.coords_target, result.index_target, target, predictions[1]),
    )
    for name, coords, index, domain, predicted in parts:
        idx = torch.as_tensor(index, dtype=torch.long)
        columns["x"] += coords[:, 0].tolist()
        columns["y"] += coords[:, 1].tolist()
        columns["domain"] += [name] * len(idx)
        columns["label"] += [None] * len(idx) if domain.y is None else domain.y[idx].tolist()
        columns["prediction"] += predicted[idx].tolist()
    return {**columns, "classes": list(source.classes)}


def evaluate_model(
    model: Classifier,
    pair: RunPair,
    *,
    seed: int,
    device: str | None,
    source_model: Classifier | None = None,
) -> ModelEvaluation:
    """Scores, gap (:meth:`~tlcore.metrics.gap.Gap.to_dict`) and UMAP of one model on the held-out
    source validation and target test splits, its validators (source validation split, unlabelled
    target train split) and its probabilities on the whole target domain. ``source_model`` (default
    ``model``) gives the source logits: the model a transform meant for the source domain
    (:class:`~tlcore.methods.context.TransformOutcome`, e.g. AdaBN's source statistics); every target
    output and every feature (gap, UMAP, validators' domain classifier) is ``model``'s."""
    source, target = pair.source_val, pair.target_test
    logits_s, Fs = model_outputs(model, source.X, device=device)  # Fs: both domains embedded by ``model``
    if source_model is not None:
        logits_s = model_outputs(source_model, source.X, device=device)[0]
    logits_t, Ft = model_outputs(model, target.X, device=device)
    pred_s, pred_t = logits_s.argmax(1), logits_t.argmax(1)
    description: dict[str, Any] = {
        "source": classification_scores(pred_s, source) if source.labelled else None,
        "target": classification_scores(pred_t, target) if target.labelled else None,
        "gap": measure_gap(Fs, Ft, GapSettings(seed=seed), device=device).gap.to_dict(),
        "umap": umap_payload(Fs, Ft, source, target, predictions=(pred_s, pred_t), seed=seed),
    }
    assert source.y is not None  # the source is always labelled (load_run_pair)
    logits_u, Fu = model_outputs(model, pair.target_train.X, device=device)
    validators = score_model(
        p_source=logits_s.softmax(1),
        y_source=source.y,
        F_source=Fs,
        p_target=logits_u.softmax(1),
        F_target=Fu,
        X_target=pair.target_train.X,
        predict=lambda X: model_outputs(model, X, device=device)[0],
        settings=ValidatorSettings(seed=seed),
    )
    logits_all, _ = model_outputs(model, pair.target.X, device=device)
    return ModelEvaluation(description, validators, logits_all.softmax(1).numpy().astype(np.float32))
