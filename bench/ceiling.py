"""The machine's training-throughput ceiling, and tlcore's and skada's share of it, in one run.

The ceiling is a bare PyTorch loop over the network a run of the method trains
(:func:`tlcore.adapt.stages.network`): per step one forward pass of a source batch and a target batch
concatenated (B + B samples, as tlcore's loop does), the source cross-entropy, backward and a step
of the loop's own optimizer (:func:`tlcore.training.adam`), on batches sliced from the task's arrays
beforehand (in memory: no sampling, augmentation or logging). tlcore
(:func:`bench.accuracy.run_tlcore`: ``run_adaptation`` without augmentation, its loop timed between
step events) and skada's counterpart (skorch's per-epoch durations, with ``torch.optim.Adam`` as a
skada user passes it) train the same network on the same arrays, batch size and epochs. The three
take turns, round after round, in this process with the same torch threads; each samples/s figure
is the median of its rounds. Each share is the median of the per-round ratios (paired): this
machine's speed drifts from one round to the next by more than the gap being measured, and a ratio
within a round cancels a drift that slows the whole round. The method's own loss term is part
of what tlcore and skada pay, not of the ceiling. As in the loop's step events, the first
``WARMUP_STEPS`` steps are not timed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bench import machine, skada_methods
from bench.accuracy import run_tlcore, task_arrays
from bench.plan import Plan
from bench.skada_methods import TaskArrays, TrainBudget
from tlcore.adapt.cache import BaselineCache
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.stages import network
from tlcore.training import adam, adam_is_fused
from tlcore.workspace import Workspace

Log = Callable[[str], None]
WARMUP_STEPS = 20  # tlcore's first step event comes after log_every = 20 steps: its rate starts there


def step_batches(arrays: TaskArrays, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of steps (a pass over the source, full batches), each ``(source + target batch, y_s)``;
    the target side cycles over its samples."""
    Xs, ys, Xt = (torch.from_numpy(a) for a in (arrays.Xs, arrays.ys, arrays.Xt))
    steps = len(Xs) // batch_size
    target = torch.arange(steps * batch_size) % len(Xt)
    return [
        (
            torch.cat(
                [Xs[i * batch_size : (i + 1) * batch_size], Xt[target[i * batch_size : (i + 1) * batch_size]]]
            ),
            ys[i * batch_size : (i + 1) * batch_size].long(),
        )
        for i in range(steps)
    ]


def micro_benchmark(
    model: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]], lr: float, epochs: int
) -> float:
    """Samples per second of a bare forward / backward / Adam loop over ``batches`` for ``epochs``
    passes (source and target samples counted, the first ``WARMUP_STEPS`` steps not timed)."""
    optimizer = adam(model.parameters(), lr, torch.device("cpu"))
    model.train()
    steps = [batch for _ in range(epochs) for batch in batches]
    warmup = min(WARMUP_STEPS, len(steps) // 2)
    start, samples = 0.0, 0
    for i, (x, y) in enumerate(steps):
        if i == warmup:
            start, samples = time.perf_counter(), 0
        logits, _ = model(x)
        loss = nn.functional.cross_entropy(logits[: len(y)], y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        samples += len(x)
    seconds = time.perf_counter() - start
    return samples / seconds


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v]
    return statistics.median(known) if known else None


def paired_share(values: list[float | None], references: list[float | None]) -> float | None:
    """The median over rounds of ``values[r] / references[r]`` (rounds where both are known)."""
    ratios = [v / r for v, r in zip(values, references, strict=True) if v and r]
    return statistics.median(ratios) if ratios else None


def measure_ceiling(plan: Plan, workspace: Path, log: Log) -> dict[str, Any]:
    """Micro-benchmark, tlcore and skada's counterpart of ``plan.ceiling_method`` on
    ``plan.ceiling_pair``, ``plan.ceiling_rounds`` times in turn."""
    pair, method, epochs, rounds = (
        plan.ceiling_pair,
        plan.ceiling_method,
        plan.ceiling_epochs,
        plan.ceiling_rounds,
    )
    ws = Workspace.resolve(workspace)
    cfg = AdaptConfig(source=pair[0], target=pair[1], methods=(method,), epochs=epochs, augment=False)
    arrays = task_arrays(cfg.source, cfg.target, ws, cfg.seed, cfg.test_fraction)
    batches = step_batches(arrays, cfg.batch_size)
    new_model = partial(network, cfg, tuple(arrays.Xs.shape[1:]), arrays.n_classes)
    skada_status = skada_methods.availability()
    counterpart = skada_methods.COUNTERPARTS.get(method)
    budget = TrainBudget(cfg.epochs, cfg.batch_size, cfg.lr, cfg.seed)
    cache = BaselineCache()  # the source-only baseline trains in the first round only
    load_start = list(machine.load_average())
    runs: dict[str, list[float | None]] = {"ceiling": [], "tlcore": [], "skada": []}
    for r in range(1, rounds + 1):
        log(f"throughput ceiling round {r}/{rounds}: micro-benchmark, tlcore {method}, skada {counterpart}")
        torch.manual_seed(cfg.seed)
        runs["ceiling"].append(micro_benchmark(new_model(), batches, cfg.lr, epochs))
        runs["tlcore"].append(run_tlcore(cfg, ws, cache)["samples_per_s"])
        fit = None
        if skada_status == "ok" and counterpart is not None:
            fit = skada_methods.run_counterpart(method, arrays, budget, new_model)
        runs["skada"].append(fit["samples_per_s"] if fit else None)
    ceiling, ours, theirs = (_median(runs[k]) for k in ("ceiling", "tlcore", "skada"))
    return {
        "source": pair[0],
        "target": pair[1],
        "method": method,
        "network": new_model().spec["name"],
        "epochs": epochs,
        "batch_size": cfg.batch_size,
        "optimizer": "fused Adam" if adam_is_fused(torch.device("cpu")) else "Adam",
        "rounds": rounds,
        "threads": torch.get_num_threads(),
        "load_start": load_start,
        "load_end": list(machine.load_average()),
        "skada_name": counterpart,
        "skada_status": skada_status if counterpart is not None else "no counterpart",
        "runs": runs,
        "ceiling": ceiling,
        "tlcore": ours,
        "skada": theirs,
        "share": "per-round ratios",
        "tlcore_share": paired_share(runs["tlcore"], runs["ceiling"]),
        "skada_share": paired_share(runs["skada"], runs["ceiling"]),
        "tlcore_over_skada": paired_share(runs["tlcore"], runs["skada"]),
    }
