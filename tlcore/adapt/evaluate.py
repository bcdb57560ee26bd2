"""The "evaluate" stage: accuracies, confusion, the feature-space gap and UMAP, before and after.

Everything here scores held-out data only: the source validation split and the target test split
(its labels are used for scoring, never for training). The gap is measured with
:mod:`tlcore.metrics` on the penultimate features of the source-only baseline ("before") and the
adapted model ("after"); UMAP comes from :func:`tlcore.features.umap_projection`.
"""

from __future__ import annotations

from typing import Any

import torch

from tlcore.data.domain import Domain
from tlcore.features import model_outputs, umap_projection
from tlcore.metrics import coral_distance, mmd_permutation_test, proxy_a_distance
from tlcore.models import Classifier

GAP_PERMUTATIONS = 200  # permutation test of the MMD²: enough for p ≈ 0.005 resolution
GAP_MAX_PER_SIDE = 1000  # samples per domain for the gap metrics
UMAP_MAX_PER_DOMAIN = 500  # points per domain in the UMAP payload


def evaluation_settings(seed: int) -> dict[str, int]:
    """The settings an evaluation depends on besides the model and data (cache validity)."""
    return {
        "seed": seed,
        "permutations": GAP_PERMUTATIONS,
        "max_per_side": GAP_MAX_PER_SIDE,
        "umap_max_per_domain": UMAP_MAX_PER_DOMAIN,
    }


def classification_scores(predictions: torch.Tensor, domain: Domain) -> dict[str, Any]:
    """``accuracy``, ``per_class_accuracy`` (class name -> accuracy, None without samples) and
    ``confusion`` (``K x K`` counts, rows = true class, columns = predicted) on a labelled domain."""
    assert domain.y is not None
    k = domain.n_classes
    confusion = torch.bincount(domain.y * k + predictions, minlength=k * k).reshape(k, k)
    support = confusion.sum(1)
    per_class = {
        name: (float(confusion[i, i] / support[i]) if support[i] else None)
        for i, name in enumerate(domain.classes)
    }
    return {
        "accuracy": float((predictions == domain.y).float().mean()),
        "per_class_accuracy": per_class,
        "confusion": confusion.tolist(),
    }


def gap_metrics(Fs: torch.Tensor, Ft: torch.Tensor, seed: int) -> dict[str, float]:
    """MMD² with its permutation p-value, CORAL distance and proxy A-distance of two feature sets."""
    test = mmd_permutation_test(Fs, Ft, GAP_PERMUTATIONS, seed=seed, max_per_side=GAP_MAX_PER_SIDE)
    return {
        "mmd2": test.mmd2,
        "p_value": test.p_value,
        "coral": coral_distance(Fs, Ft),
        "a_distance": proxy_a_distance(Fs, Ft, seed=seed).a_distance,
        "n_source": len(Fs),
        "n_target": len(Ft),
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


def describe_model(
    model: Classifier,
    source: Domain,
    target: Domain,
    *,
    seed: int,
    device: str | None,
    umap: bool = True,
) -> dict[str, Any]:
    """Scores, gap and UMAP of one model on held-out ``source`` (validation) and ``target`` (test)."""
    logits_s, Fs = model_outputs(model, source.X, device=device)
    logits_t, Ft = model_outputs(model, target.X, device=device)
    pred_s, pred_t = logits_s.argmax(1), logits_t.argmax(1)
    out: dict[str, Any] = {
        "source": classification_scores(pred_s, source) if source.labelled else None,
        "target": classification_scores(pred_t, target) if target.labelled else None,
        "gap": gap_metrics(Fs, Ft, seed),
        "umap": umap_payload(Fs, Ft, source, target, predictions=(pred_s, pred_t), seed=seed)
        if umap
        else None,
    }
    return out
