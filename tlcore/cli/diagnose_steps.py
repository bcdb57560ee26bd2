"""``diagnose``'s computing steps, each reused from the workspace's diagnosis cache unless ``--no-cache``
(:mod:`tlcore.diagnosis_cache`): the findings, the UMAP (only ``--json`` prints it) and the explanation."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from torch import nn

from tlcore.adapt.source_model import NeedsSourceOnlyModel
from tlcore.cli.output import ProgressBar
from tlcore.data import Domain
from tlcore.diagnosis_cache import Cached, DiagnosisCache, explanation_of, findings, umap_of
from tlcore.diagnosis_settings import GapSettings
from tlcore.explain.evidence import LabelShiftSummary, NoveltySummary
from tlcore.explain.settings import ExplainSettings
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate
from tlcore.workspace import Workspace


def diagnosis_steps(
    args: argparse.Namespace,
    pair: tuple[Domain, Domain],
    space: str | nn.Module,
    *,
    settings: GapSettings,
    workspace: Workspace,
    shift: LabelShiftEstimate | NeedsSourceOnlyModel,
    specs: tuple[str | None, str | None],
    device: str | None,
    copied: tuple[int, int] | None,
) -> dict[str, Cached[Any]]:
    """``{"findings": ..., "umap": ... (with --json, unless --no-umap), "explanation": ... (unless
    --no-explain)}`` of the pair in the feature ``space``. The explanation's fixes are written on
    ``specs`` and checked by loading them with the pair's seed; the label-shift estimate ``shift`` and
    the novel share rank among its causes; ``copied`` (the target's copies of source samples, of its
    samples) leads its verdict when many; its ``adapt`` command carries the ``--workspace`` given."""
    cache, reuse, pca = DiagnosisCache.of_workspace(workspace), not args.no_cache, args.pca or None
    bar = ProgressBar("diagnose", enabled=not args.json)
    try:
        found = findings(
            cache,
            *pair,
            space,
            settings=settings,
            pca_dim=pca,
            device=device,
            progress=lambda step, fraction: bar.update(fraction, step),
            reuse=reuse,
        )
    finally:
        bar.close()
    steps: dict[str, Cached[Any]] = {"findings": found}
    if args.json and not args.no_umap:
        steps["umap"] = umap_of(
            cache,
            *pair,
            space,
            seed=settings.seed,
            pca_dim=pca,
            max_umap_per_domain=args.umap_points,
            device=device,
            reuse=reuse,
        )
    if args.no_explain:
        return steps
    report = found.value
    bar = ProgressBar("explain", enabled=not args.json)
    try:
        explained = explanation_of(
            cache,
            *pair,
            specs=specs,
            workspace=workspace,
            settings=ExplainSettings(seed=settings.seed),
            gap=report.gap,
            label_shift=LabelShiftSummary.of(shift) if isinstance(shift, LabelShiftEstimate) else None,
            novelty=None if report.novelty is None else NoveltySummary.of(report.novelty),
            copied=copied,
            progress=lambda step, fraction: bar.update(fraction, step),
            reuse=reuse,
        )
    finally:
        bar.close()
    steps["explanation"] = replace(explained, value=explained.value.for_workspace(args.workspace))
    return steps
