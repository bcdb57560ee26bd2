"""The estimate's measured probe: a few training steps of a run's real network, timed, cached.

With no finished run of the same network to learn from (:mod:`tlcore.runs.estimate`), the network a
run of the config builds (:func:`tlcore.adapt.pipeline.network`) trains :data:`PROBE_STEPS` Adam steps
on a batch of B synthetic samples of the pair's shape (a single step) and as many on 2B samples (a
paired step: source and target batches in one forward pass), after one untimed warm-up step, then runs
one forward pass over 2B samples without gradients (the cost per sample of the evaluation and of the
scores each epoch takes on the source validation and target test splits). The numbers are
kept in ``<workspace>/cache/estimates/<key>.pkl`` (:mod:`tlcore.cache_files`: versioned, pruned to its
cap), the key a hash of the network, image size, device, batch size, torch's thread count, the input
shape, the class count and the bottleneck: a rerun of the page or the CLI reads them back.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

import torch
from torch import nn

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import RunPair
from tlcore.adapt.pipeline import network
from tlcore.cache_files import SUFFIX, code_version, prune, read_entry, write_entry
from tlcore.runs.estimate import EVAL_OVERHEAD_SECONDS, EVAL_PASSES, Rates, Workload
from tlcore.training.optimizer import adam
from tlcore.workspace import Workspace

PROBE_STEPS = 2  # timed steps of each kind


def probe_key(cfg: AdaptConfig, work: Workload, shape: tuple[int, ...], n_classes: int) -> str:
    """SHA-256 (hex) of what a step's time depends on (see the module doc)."""
    values = [work.model, work.image_size, work.device, work.batch_size, torch.get_num_threads()]
    values += [list(shape), n_classes, cfg.bottleneck]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


def probe_rates(
    cfg: AdaptConfig, pair: RunPair, work: Workload, workspace: Workspace
) -> tuple[Rates, int, bool]:
    """The rates measured for ``cfg``'s network (read back from the workspace cache when it holds
    them), the steps timed, and whether they were read back."""
    shape, n_classes = tuple(pair.source_train.shape), pair.source_train.n_classes
    folder = workspace.inside("cache", "estimates")
    path = folder / f"{probe_key(cfg, work, shape, n_classes)}{SUFFIX}"
    body = read_entry(path, code_version())
    cached = body is not None
    if body is None:
        body = json.dumps(measure(cfg, shape, n_classes, torch.device(work.device))).encode()
        write_entry(path, code_version(), body)
        prune(folder, code_version())
    times = json.loads(body)
    single, paired, forward = times["single"], times["paired"], times["forward_per_sample"]
    evaluate = (EVAL_PASSES * forward, EVAL_PASSES * forward)
    spread = (min(single), max(single)), (min(paired), max(paired))
    rates = Rates(*spread, evaluate, EVAL_OVERHEAD_SECONDS, score=(forward, forward))
    return rates, len(single) + len(paired), cached


def measure(
    cfg: AdaptConfig, shape: tuple[int, ...], n_classes: int, device: torch.device
) -> dict[str, list[float] | float]:
    """Seconds of :data:`PROBE_STEPS` single and paired steps, and of one forward pass per sample."""
    b = cfg.batch_size
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = network(cfg, shape, n_classes).to(device)
        x = torch.rand((2 * b, *shape)).to(device)
        y = torch.randint(n_classes, (b,)).to(device)
        model.fit_inputs(x)
        optimizer = adam(model.parameters(), cfg.lr, device)
        step = _step(model, optimizer, x, y, device)
        model.train()
        step(b)  # warm-up: allocations, kernel choice
        single = [step(b) for _ in range(PROBE_STEPS)]
        paired = [step(2 * b) for _ in range(PROBE_STEPS)]
        model.eval()
        with torch.no_grad():
            forward = _timed(lambda: model(x), device) / len(x)
    return {"single": single, "paired": paired, "forward_per_sample": forward}


def _step(
    model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, device: torch.device
) -> Callable[[int], float]:
    def step(rows: int) -> float:
        def work() -> None:
            logits, _ = model(x[:rows])
            loss = nn.functional.cross_entropy(logits[: len(y)], y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        return _timed(work, device)

    return step


def _timed(work: Callable[[], object], device: torch.device) -> float:
    """Seconds ``work()`` takes, the device's queue drained."""
    start = time.perf_counter()
    work()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start
