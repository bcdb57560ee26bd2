"""Label shift: BBSE / EM estimates on class-imbalanced targets drawn with known proportions.

For each dataset (``digits``, ``mnist5k``) and seed: a stratified 50/50 split into a balanced source
half and a target pool; from the pool, targets with known class proportions (:data:`PROFILES`, as
many samples as the proportions allow). The source half goes into the workspace as an upload, as a
person's file would, and one ``source_only`` run (the engine's default budget) trains and caches its
source-only model. For each target, that model estimates the class proportions on every target
sample (:func:`tlcore.adapt.source_model.label_shift_of`: total variation of EM and BBSE to the true
proportions), and the registered ``prior_correction`` transform, given what a run's transform stage
gives it (the unlabelled target train split), is scored on the target test split against the
source-only model. ``mnist5k -> digits`` targets (the mnist5k half's model) add a covariate shift
on top, where the label-shift premise does not hold.
"""

from __future__ import annotations

import copy
import io
import math
import statistics
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.plan import LABEL_SHIFT_PAIRS
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import RunPair, load_run_pair
from tlcore.adapt.pipeline import run_adaptation
from tlcore.adapt.source_model import SourceOnlyModel, find_source_only_model, label_shift_of
from tlcore.data import Domain, load_domain, save_upload, train_test_split
from tlcore.data.rng import generator
from tlcore.features import model_outputs
from tlcore.methods import get_method
from tlcore.methods.context import TransformContext
from tlcore.methods.registry import TransformBuilder
from tlcore.metrics.per_class import total_variation
from tlcore.models import Classifier
from tlcore.workspace import Workspace

Log = Callable[[str], None]
K = 10
PROFILES: dict[str, Callable[[torch.Generator], torch.Tensor]] = {  # class weights (normalised later)
    "long tail x10": lambda gen: torch.tensor([10 ** (-k / (K - 1)) for k in range(K)]),
    "reversed long tail x10": lambda gen: torch.tensor([10 ** (-(K - 1 - k) / (K - 1)) for k in range(K)]),
    "one class 50%": lambda gen: torch.tensor([0.5] + [0.5 / (K - 1)] * (K - 1)),
    "Dirichlet(1) draw": lambda gen: -torch.log(torch.rand(K, generator=gen, dtype=torch.float64)),
    "balanced (no shift)": lambda gen: torch.ones(K),
}


def _npz(domain: Domain) -> bytes:
    assert domain.y is not None
    buffer = io.BytesIO()
    np.savez(buffer, X=domain.X.numpy(), y=domain.y.numpy(), classes=np.asarray(domain.classes))
    return buffer.getvalue()


def draw_with_proportions(pool: Domain, proportions: torch.Tensor, seed: int) -> Domain:
    """The largest seeded subsample of ``pool`` whose class counts follow ``proportions``."""
    assert pool.y is not None
    p = proportions.double() / proportions.sum()
    counts = torch.bincount(pool.y, minlength=len(p)).double()
    n = (counts[p > 0] / p[p > 0]).min()
    want = (n * p).floor().long()
    gen = generator(seed, "bench_label_shift_draw")
    picks = [
        torch.nonzero(pool.y == c).flatten()[torch.randperm(int(counts[c]), generator=gen)[: int(want[c])]]
        for c in range(len(p))
    ]
    return pool.subset(torch.sort(torch.cat(picks)).values)


def halves(name: str, seed: int) -> tuple[Domain, Domain]:
    """A dataset split 50/50, stratified and seeded: ``(source half, target pool)``."""
    return train_test_split(load_domain(name, seed=seed), 0.5, seed)


def source_only_model(
    ws: Workspace, source: Domain, pool: Domain, tag: str, config: AdaptConfig, *, log: Log
) -> tuple[SourceOnlyModel, RunPair]:
    """One ``source_only`` run of the uploaded source half against its balanced pool; its cached
    baseline (what every run of that source trains first) and the run's splits."""
    source_spec = "upload:" + save_upload(ws, f"{tag}-source.npz", _npz(source))
    pool_spec = "upload:" + save_upload(ws, f"{tag}-pool.npz", _npz(pool))
    cfg = replace(config, source=source_spec, target=pool_spec)
    log(f"label shift: source-only run on {tag}")
    run_adaptation(cfg, ws)
    found = find_source_only_model(cfg, ws, threads=torch.get_num_threads())
    assert isinstance(found, SourceOnlyModel), found
    return found, load_run_pair(found.config, ws)


def _accuracy(model: Classifier, domain: Domain) -> float:
    assert domain.y is not None
    logits, _ = model_outputs(model, domain.X)
    return float((logits.argmax(1) == domain.y).float().mean())


def one_target(found: SourceOnlyModel, pair: RunPair, target: Domain, ws: Workspace) -> dict[str, Any]:
    """The label-shift estimate on every target sample, and the ``prior_correction`` transform as a
    run applies it (estimated on the unlabelled target train split, scored on the test split)."""
    estimate = label_shift_of(found, ws, target)
    assert estimate.true_prior is not None and estimate.em.tv_to_truth is not None
    truth = torch.tensor(estimate.true_prior, dtype=torch.float64)
    seed = found.config.seed
    train, test = train_test_split(target, found.config.test_fraction, seed)
    spec = get_method("prior_correction")
    assert isinstance(spec.builder, TransformBuilder)
    ctx = TransformContext(
        model=copy.deepcopy(found.model),
        source=pair.source_train,
        source_val=pair.source_val,
        target=replace(train, y=None),
        seed=seed,
        device=found.config.device,
    )
    corrected = spec.builder.build(spec.parse_params({}).params, ctx).model
    return {
        "network": found.model.spec["name"],
        "n_target": estimate.n_target,
        "true_tv": total_variation(truth, torch.tensor(estimate.source_prior, dtype=torch.float64)),
        "em_tv_to_truth": estimate.em.tv_to_truth,
        "bbse_tv_to_truth": estimate.bbse.tv_to_truth,
        "em_tv": estimate.em.tv,
        "em_band": estimate.em.tv_band,
        "consistent": estimate.consistent,
        "source_only_accuracy": _accuracy(found.model, test),
        "corrected_accuracy": _accuracy(corrected, test),
    }


def _mean(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None and math.isfinite(r[key])]
    return statistics.fmean(values) if values else None


def run_label_shift(
    seeds: tuple[int, ...],
    epochs: int,
    workspace: Path,
    log: Log,
    *,
    pairs: tuple[tuple[str, str], ...] = LABEL_SHIFT_PAIRS,
    profiles: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Every pair x profile (empty: all of :data:`PROFILES`) x seed; per (pair, profile) the means
    over seeds. Pairs: (dataset whose half is the source, dataset the targets are drawn from)."""
    ws = Workspace.resolve(workspace)
    config = AdaptConfig(source="", target="", epochs=epochs)
    rows: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for seed in seeds:
        models: dict[str, tuple[SourceOnlyModel, RunPair]] = {}  # one source-only model per source half
        for source_name, pool_name in pairs:
            source_half, pool = halves(source_name, seed)
            if source_name not in models:
                tag = f"{source_name}-{seed}"
                models[source_name] = source_only_model(
                    ws, source_half, pool, tag, replace(config, seed=seed), log=log
                )
            if pool_name != source_name:
                pool = load_domain(pool_name, seed=seed)
            for profile in profiles or PROFILES:
                p = PROFILES[profile](generator(seed, "bench_label_shift_profile", source_name, pool_name))
                target = draw_with_proportions(pool, p, seed)
                row = one_target(*models[source_name], target, ws)
                rows.setdefault((source_name, pool_name, profile), []).append({"seed": seed, **row})
    table = [
        {
            "source": source,
            "target": pool,
            "profile": profile,
            "runs": runs,
            **{
                key: _mean(runs, key)
                for key in (
                    "n_target",
                    "true_tv",
                    "em_tv_to_truth",
                    "bbse_tv_to_truth",
                    "source_only_accuracy",
                    "corrected_accuracy",
                )
            },
        }
        for (source, pool, profile), runs in rows.items()
    ]
    networks = sorted({run["network"] for runs in rows.values() for run in runs})
    return {"seeds": list(seeds), "epochs": epochs, "network": ", ".join(networks), "rows": table}
