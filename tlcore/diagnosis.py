"""Gap diagnosis: how far apart two domains are, in one feature space, as one report.

:func:`diagnose` runs every metric of :mod:`tlcore.metrics` on the features of a harmonised
source/target pair, times each step, and returns a :class:`GapReport`; :func:`gap_level` and
:func:`describe_gap` put the report in plain words (the app's gap cards, the CLI's summary).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from tlcore.data.domain import Domain
from tlcore.device import pick_device
from tlcore.errors import TLError
from tlcore.features import UMAPResult, model_outputs, raw_features, umap_projection
from tlcore.metrics import (
    class_conditional_mmd,
    coral_distance,
    label_shift,
    mean_distance,
    median_bandwidth,
    mmd2_unbiased,
    mmd_permutation_test,
    proxy_a_distance,
)

GapLevel = Literal["none", "small", "moderate", "large"]
Progress = Callable[[str, float], None]  # (step description, overall fraction done in [0, 1])

SIGNIFICANCE = 0.05  # p-value at or above it: "none"
PAD_SMALL, PAD_MODERATE = 0.5, 1.5  # proxy A-distance below them: "small", "moderate"; else "large"

# Share of the total time each step usually takes (drives the progress fraction only).
_STEPS = {"features": 0.1, "mmd": 0.25, "coral": 0.02, "a_distance": 0.13, "per_class": 0.1, "umap": 0.4}


@dataclass(frozen=True)
class GapReport:
    """Every gap measure of one source/target pair in one feature space.

    ``mmd2`` is the unbiased MMD² on all samples, ``p_value`` its permutation test on at most
    ``mmd_test_samples`` per side (see :func:`tlcore.metrics.mmd_permutation_test`), both with the
    median-heuristic ``bandwidth``. ``per_class`` holds one dict per class (see
    :class:`tlcore.metrics.ClassGap`) computed with ``per_class_labels`` target labels, or is empty
    with the reason in ``per_class_note``. ``target_foreignness[i]`` is the held-out domain
    classifier's p(target | x) for target sample ``i``; ``seconds`` times each step and ``total``.
    """

    source: str
    target: str
    n_source: int
    n_target: int
    feature_space: str
    feature_dim: int
    seed: int
    mmd2: float
    p_value: float
    n_permutations: int
    bandwidth: float
    mmd_test_samples: tuple[int, int]
    coral: float
    mean_distance: float
    a_distance: float
    domain_error: float
    per_class: list[dict[str, Any]]
    per_class_labels: Literal["true", "predicted"] | None
    per_class_note: str
    label_shift: dict[str, Any] | None
    seconds: dict[str, float]
    target_foreignness: np.ndarray
    umap: UMAPResult | None = None

    def to_dict(self, include_umap: bool = True, include_scores: bool = False) -> dict[str, Any]:
        """JSON-safe dict (plain numbers, lists, strings); UMAP coordinates and scores optional."""
        skip = ("umap", "target_foreignness")
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        out["mmd_test_samples"] = list(self.mmd_test_samples)
        out["gap_level"] = gap_level(self)
        if include_scores:
            out["target_foreignness"] = [round(float(s), 6) for s in self.target_foreignness]
        if include_umap and self.umap is not None:
            out["umap"] = {
                "source": np.round(self.umap.coords_source, 4).tolist(),
                "target": np.round(self.umap.coords_target, 4).tolist(),
                "index_source": self.umap.index_source.tolist(),
                "index_target": self.umap.index_target.tolist(),
            }
        return out


def gap_level(report: GapReport) -> GapLevel:
    """Plain-words size of the gap.

    ``none`` when the MMD permutation test does not reject equal distributions
    (``p_value >= 0.05``); otherwise by the proxy A-distance, which is scale-free in any feature
    space: ``small`` below 0.5 (the domain classifier is right < 62.5% of the time, balanced),
    ``moderate`` below 1.5 (< 87.5%), ``large`` from 1.5 on.
    """
    if report.p_value >= SIGNIFICANCE:
        return "none"
    if report.a_distance < PAD_SMALL:
        return "small"
    return "moderate" if report.a_distance < PAD_MODERATE else "large"


def describe_gap(report: GapReport) -> str:
    """One or two sentences reading the report for a person."""
    accuracy = 100 * (1 - report.domain_error)
    level = gap_level(report)
    if level == "none":
        head = f"No detectable gap: the MMD test does not tell the domains apart (p = {report.p_value:.3g})."
    else:
        head = (
            f"{level.capitalize()} gap: the domains differ (MMD test p = {report.p_value:.3g}) and a "
            f"linear domain classifier tells them apart {accuracy:.0f}% of the time "
            f"(proxy A-distance {report.a_distance:.2f} of 2)."
        )
    measured = [g for g in report.per_class if g["mmd2"] is not None]
    if measured and level != "none":
        worst = max(measured, key=lambda g: g["mmd2"])
        head += f" Largest class gap: {worst['name']} (MMD² {worst['mmd2']:.3g})."
    return head


def _features(
    source: Domain,
    target: Domain,
    features: str | nn.Module,
    *,
    pca_dim: int | None,
    seed: int,
    device: str | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, str]:
    """Source features, target features, target logits (models only) and the space's name."""
    if isinstance(features, nn.Module):
        _, Fs = model_outputs(features, source.X, device=device)
        logits, Ft = model_outputs(features, target.X, device=device)
        return Fs, Ft, logits, "model"
    if features != "raw":
        raise TLError(f"unknown feature space {features!r}: use 'raw' or pass a model")
    Fs, Ft = raw_features(source.X, target.X, pca_dim=pca_dim, seed=seed)
    return Fs, Ft, None, "raw" if Fs.shape[1] == source.X[0].numel() else f"raw-pca{Fs.shape[1]}"


def _target_labels(
    source: Domain, target: Domain, logits: torch.Tensor | None
) -> tuple[torch.Tensor | None, Literal["true", "predicted"] | None, str]:
    """Target labels for the per-class gaps: true ones, else a model's predictions, else why not."""
    if source.y is None:
        return None, None, "the source domain has no labels"
    if target.y is not None:
        return target.y, "true", ""
    if logits is None:
        return None, None, "the target has no labels and raw features give no pseudo-labels"
    if logits.shape[1] != source.n_classes:
        return None, None, f"the model predicts {logits.shape[1]} classes, the source has {source.n_classes}"
    return logits.argmax(1), "predicted", ""


def diagnose(
    source: Domain,
    target: Domain,
    features: str | nn.Module = "raw",
    *,
    seed: int = 0,
    n_permutations: int = 1000,
    pca_dim: int | None = 50,
    umap: bool = True,
    max_umap_per_domain: int | None = 5000,
    progress: Progress | None = None,
    device: str | None = None,
) -> GapReport:
    """Measure the gap between a harmonised ``source`` and ``target`` (see :mod:`tlcore.data`).

    ``features``: ``"raw"`` (flattened inputs, PCA to ``pca_dim`` fitted on both domains, see
    :func:`tlcore.features.raw_features`) or a model returning ``(logits, features)`` (its
    penultimate layer; its predictions serve as target pseudo-labels when the target has none).
    Metrics use every sample (MMD² block-wise; the permutation test caps each side at 5000);
    UMAP runs on at most ``max_umap_per_domain`` samples per domain. Everything is seeded by
    ``seed``. ``progress(step, fraction)`` is called as steps start and at the end.
    """
    if source.shape != target.shape:
        raise TLError(
            f"{source.name} and {target.name} have different sample shapes "
            f"{source.shape} and {target.shape}: harmonise the pair first"
        )
    steps = {k: v for k, v in _STEPS.items() if umap or k != "umap"}
    scale, seconds, done = sum(steps.values()), {}, 0.0
    start = time.perf_counter()

    @contextmanager
    def step(name: str, label: str) -> Iterator[None]:
        nonlocal done
        if progress is not None:
            progress(label, done / scale)
        began = time.perf_counter()
        yield
        seconds[name] = round(time.perf_counter() - began, 4)
        done += steps[name]

    with step("features", "features"):
        Fs, Ft, logits, space = _features(source, target, features, pca_dim=pca_dim, seed=seed, device=device)
        on = pick_device(device)
        Fs_d, Ft_d = Fs.to(on), Ft.to(on)

    with step("mmd", f"MMD² permutation test ({n_permutations} permutations)"):
        bandwidth = median_bandwidth(Fs_d, Ft_d, seed=seed)
        test = mmd_permutation_test(Fs_d, Ft_d, n_permutations, seed=seed, bandwidth=bandwidth)
        mmd2 = mmd2_unbiased(Fs_d, Ft_d, bandwidth) if test.subsampled else test.mmd2

    with step("coral", "CORAL and mean distances"):
        coral, mean_gap = coral_distance(Fs_d, Ft_d), mean_distance(Fs_d, Ft_d)

    with step("a_distance", "proxy A-distance"):
        pad = proxy_a_distance(Fs, Ft, seed=seed)

    with step("per_class", "per-class gaps"):
        yt, labels_kind, note = _target_labels(source, target, logits)
        per_class, shift = [], None
        if yt is not None and source.y is not None:
            gaps = class_conditional_mmd(
                Fs_d, source.y.to(on), Ft_d, yt.to(on), source.classes, bandwidth=bandwidth, seed=seed
            )
            per_class = [asdict(g) for g in gaps]
            shift = asdict(label_shift(source.y, yt, source.n_classes, target_labels=labels_kind))

    projection = None
    if umap:
        with step("umap", "UMAP projection"):
            projection = umap_projection(Fs, Ft, max_per_domain=max_umap_per_domain, seed=seed)
    seconds["total"] = round(time.perf_counter() - start, 4)
    if progress is not None:
        progress("done", 1.0)
    return GapReport(
        source=source.name,
        target=target.name,
        n_source=source.n_samples,
        n_target=target.n_samples,
        feature_space=space,
        feature_dim=Fs.shape[1],
        seed=seed,
        mmd2=mmd2,
        p_value=test.p_value,
        n_permutations=n_permutations,
        bandwidth=bandwidth,
        mmd_test_samples=(test.n_x, test.n_y),
        coral=coral,
        mean_distance=mean_gap,
        a_distance=pad.a_distance,
        domain_error=pad.error,
        per_class=per_class,
        per_class_labels=labels_kind,
        per_class_note=note,
        label_shift=shift,
        seconds=seconds,
        target_foreignness=pad.target_scores,
        umap=projection,
    )
