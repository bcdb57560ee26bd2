"""The estimate's measured probe: a few training steps of a run's real network, timed, cached.

With no done run of the same network to learn from (:mod:`tlcore.runs.estimate`), the network a
run of the config builds (:func:`tlcore.adapt.stages.network`) trains in the training loop itself
(:func:`tlcore.training.loop.train`, the config's batch size and augmentation, the loop's learning rate) on 2B
synthetic samples of the pair's shape: one untimed warm-up step then :data:`PROBE_STEPS` timed steps
without a target (single steps), the same with one (paired steps: source and target batches in one
forward pass) and the config's own loss terms, built as the run builds them (:mod:`tlcore.adapt.terms`),
with the rows they need (FixMatch's strong view of the target batch: a third batch in the forward pass;
a semi-supervised term's labelled target rows) and the adapt stage's weight average (its update after
each step, and FixMatch's teacher: the target batch through it), each the time between the loop's step
events; then one
evaluation of the 2B samples
(the cost per sample of each evaluated model's evaluation and of the scores each epoch takes on the
source validation and target test splits). The numbers are
kept in ``<workspace>/cache/estimates/<key>.pkl`` (:mod:`tlcore.cache_files`: versioned, pruned to its
cap), the key a hash of the network, image size, device, batch size, torch's thread count, the input
shape, the class count, the bottleneck, the loss terms and the extra inputs each asks for (not their
other parameters) and whether the adapt
stage averages its weights: a rerun of the page or
the CLI reads them back.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import replace

import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import RunPair
from tlcore.adapt.stages import network
from tlcore.adapt.terms import build_terms
from tlcore.cache_files import ESTIMATES, SUFFIX, code_version, prune, read_entry, write_entry
from tlcore.data.domain import Domain
from tlcore.errors import TLError
from tlcore.events import Callbacks, ProgressEvent
from tlcore.methods import TermContext, check_combination
from tlcore.models import Classifier
from tlcore.runs.estimate import EVAL_OVERHEAD_SECONDS, EVAL_PASSES, Rates, Workload
from tlcore.training import Term
from tlcore.training.loop import TrainSettings, evaluate, train
from tlcore.workspace import Workspace

PROBE_STEPS = 2  # timed steps of each kind


def probe_key(cfg: AdaptConfig, work: Workload, shape: tuple[int, ...], n_classes: int) -> str:
    """SHA-256 (hex) of what a step's time depends on (see the module doc)."""
    values = [work.model, work.image_size, work.device, work.batch_size, torch.get_num_threads()]
    values += [list(shape), n_classes, cfg.bottleneck, _terms_key(cfg), cfg.ema_decay > 0]
    return hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()


def _terms_key(cfg: AdaptConfig) -> list[str]:
    """The loss terms a probe's paired steps train with, each with the extra inputs it asks the loop
    for (``Method.needs_of``: ``fixmatch.teacher=false`` runs no teacher pass); their other parameters
    left out: a recipe's and the defaults differ in a threshold or an alignment, not in a step's work."""
    terms = [spec for spec in check_combination(cfg.methods) if spec.kind == "term"]
    needs = [spec.needs_of(spec.parse_params(cfg.params.get(spec.name)).params) for spec in terms]
    return [":".join([spec.name, *sorted(need)]) for spec, need in zip(terms, needs, strict=True)]


def probe_rates(
    cfg: AdaptConfig, pair: RunPair, work: Workload, workspace: Workspace
) -> tuple[Rates, int, bool]:
    """The rates measured for ``cfg``'s network (read back from the workspace cache when it holds
    them), the steps timed, and whether they were read back."""
    shape, n_classes = tuple(pair.source_train.shape), pair.source_train.n_classes
    # the loop's batches hold at most the larger training split (PairedBatchSampler): a batch size
    # above it (--batch-size 10000000000) times those, not 2B synthetic samples no memory holds
    largest = max(pair.source_train.n_samples, pair.target_train.n_samples, 2)
    cfg = replace(cfg, batch_size=min(cfg.batch_size, largest))
    folder = workspace.inside(*ESTIMATES.parts)
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
    """Seconds of :data:`PROBE_STEPS` single and paired steps of the training loop itself (after a warm-up
    step each), and of the evaluation per sample."""
    gen = torch.Generator().manual_seed(cfg.seed)
    x = torch.rand((2 * cfg.batch_size, *shape), generator=gen)
    classes = tuple(map(str, range(n_classes)))
    source = Domain("probe source", x, torch.randint(n_classes, (len(x),), generator=gen), classes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = network(cfg, shape, n_classes)
    model.fit_inputs(x)
    single = _step_seconds(model, source, None, cfg, device)
    terms = _terms(cfg, n_classes, model.feature_dim)
    labelled = source if any("labelled_target" in t.needs for t in terms) else None
    target = Domain("probe target", x, None, classes)
    paired = _step_seconds(model, source, target, cfg, device, terms=terms, labelled=labelled)
    start = time.perf_counter()
    evaluate(model, source, device)
    return {"single": single, "paired": paired, "forward_per_sample": (time.perf_counter() - start) / len(x)}


def _terms(cfg: AdaptConfig, n_classes: int, feature_dim: int) -> list[Term]:
    """The loss terms a run of ``cfg`` trains with (none for a stage, weights or baseline method)."""
    specs = check_combination(cfg.methods)
    params = {spec.name: spec.parse_params(cfg.params.get(spec.name)) for spec in specs}
    return build_terms(cfg.seed, specs, params, TermContext(n_classes, feature_dim))


def _step_seconds(
    model: Classifier,
    source: Domain,
    target: Domain | None,
    cfg: AdaptConfig,
    device: torch.device,
    *,
    terms: list[Term] | None = None,
    labelled: Domain | None = None,
) -> list[float]:
    """The seconds between the loop's step events after its first (warm-up: allocations, kernel choice)
    step: single steps without ``target``, paired (B source + B target rows) with it, with ``terms``
    and the extra work they need (a strong view of the target batch, ``labelled`` target rows, the
    target batch through the weight average) and the adapt stage's weight average."""
    marks: list[float] = []

    def mark(event: ProgressEvent) -> None:
        if event.kind == "step":
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            marks.append(time.perf_counter())

    # lr: the loop's default. A step costs the same at any rate, and the config's may blow the weights
    # up: the run then says so itself, its estimate still comes first.
    settings = TrainSettings(
        epochs=1,
        batch_size=cfg.batch_size,
        augment=cfg.augment,
        seed=cfg.seed,
        steps_per_epoch=1 + PROBE_STEPS,
        log_every=1,
        device=device.type,
        stage="probe",
        ema_decay=0.0 if target is None else cfg.ema_decay,  # the adapt stage's average (and teacher)
    )
    history = train(
        model,
        source,
        target,
        settings=settings,
        terms=terms or (),
        target_labelled=labelled,
        callbacks=Callbacks(on_event=mark),
    )
    if history.status != "done":
        raise TLError(f"the estimate's probe of {cfg.model} did not finish its steps: {history.reason}")
    return [later - earlier for earlier, later in itertools.pairwise(marks)]
