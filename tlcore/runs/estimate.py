"""How long a run will take, said before it starts: seconds per training step * the steps its config runs.

The steps (:func:`plan`) come from the config and the pair's split sizes, as the loop counts them
(:mod:`tlcore.training.loop`): an epoch is ``steps_per_epoch`` or ``max(1, floor(n / B))`` steps, ``n``
the source train split (baseline), or the larger of source and target train splits when the stage
draws target batches. A step is *single* (B labelled rows: the baseline, ``target_only``,
``finetune``) or *paired* (B source + B target rows: the adapt stage of the loss-term and
instance-weight methods). The baseline costs nothing when the workspace's baseline cache holds it.
The evaluation scores up to two models on the ``n_evaluated`` samples: the baseline, unless the cache
holds its evaluation too (made with the run's settings), and the adapted model, unless the run's
answer is the baseline itself (``source_only``): a ``source_only`` run of a cached baseline evaluates
nothing.

The rates, best first:

1. ``runs``: done runs in the workspace with the same network, input shape (28x28 digits time
   nothing of 128x128 photos), image size, device and batch size;
   per run, ``seconds_per_stage[stage] / (epochs run * steps per epoch)`` for each stage it trained,
   and the evaluation's seconds per evaluated sample and model (a run that reused its baseline
   reused its evaluation too: the run that trained it evaluated it); paired rates from runs of the
   same methods, else from a probe of the composition's own loss terms scaled to the runs
   (:mod:`tlcore.runs.estimate_paired`); with no single step timed, one is taken as half a paired
   step: a paired step is two batches. They need :data:`MIN_TIMED_STEPS` timed steps in all: a step
   of a short run carries its epoch's fixed costs (scoring, the first step's warm-up), so a 1-step run
   read 35 s for an 18 s run (QA helper-123).
2. ``probe``: a few steps of the real network on synthetic batches of the real size
   (:mod:`tlcore.runs.probe`), cached in the workspace's ``cache/estimates``.

``seconds`` uses the fastest run's rate (waiting for a core only adds time: runs timed on a loaded
machine read several times a step's own cost), ``at_most`` the slowest one, and each adds a run's
seconds outside its stages, those of a run launched in a worker process of its own or of one run
inline (:mod:`tlcore.runs.estimate_start`; a launched run's start not measured yet is left out, and
the text says so); both count every planned step, so early stopping
(``patience``) and settling (``settle_tol``) can only make the run shorter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from tlcore.adapt.cache import BaselineCache, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.evaluate import ModelEvaluation, evaluation_settings
from tlcore.adapt.pair import RunPair
from tlcore.device import pick_device
from tlcore.imagenet_inputs import input_side
from tlcore.limits import Limits
from tlcore.methods.registry import get_method
from tlcore.model_names import auto_options
from tlcore.models import check_input
from tlcore.numbers import plural
from tlcore.runs.estimate_start import per_run
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import UnreadableResultError
from tlcore.runs.run_timings import timing_result
from tlcore.runs.slots import run_threads
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

PAIRED_KINDS = ("term", "weights")  # methods whose adapt stage draws source and target batches
SINGLE_STAGES = {"target_only": "target", "finetune": "source"}  # stage methods training on one side
EVAL_PASSES = 3  # probe: forward passes of each evaluated model over the evaluated samples
MIN_TIMED_STEPS = 20  # done runs' steps in all before their rates beat the probe (see the module doc)
EVAL_OVERHEAD_SECONDS = 1.5  # probe: a model's UMAP and validators, 0.5-2.5 s on a 2-core CPU (lenet/mlp)


@dataclass(frozen=True)
class Workload:
    """What a run of a config will compute: its network, where, and how many steps of each kind."""

    model: str
    input_shape: tuple[int, ...]  # the pair's sample shape, as a run stores it (``info.model.input_shape``)
    image_size: int | None
    device: str
    batch_size: int
    baseline_steps: int  # single steps of the source-only baseline (0: the cache holds it)
    single_steps: int  # single steps of the adapt stage (target_only, finetune)
    paired_steps: int  # paired steps of the adapt stage
    n_evaluated: int  # source train + target train + target test samples
    n_scored: int = 0  # samples each epoch scores (source validation + target test), times the epochs
    models_evaluated: int = 2  # the baseline unless its evaluation is cached; the adapted one unless it is it
    methods: tuple[str, ...] = ()  # the composition (``--json`` says whose each part of a sweep's is)

    @property
    def label(self) -> str:
        """``efficientnet_lite0 at 96 px on cpu``."""
        size = f" at {self.image_size} px" if self.image_size else ""
        return f"{self.model}{size} on {self.device}"


@dataclass(frozen=True)
class Rates:
    """Seconds per single step, per paired step and per evaluated sample and model, each as (expected,
    slowest): the fastest run's or the probe's median, and the slowest."""

    single: tuple[float, float]
    paired: tuple[float, float]
    evaluate: tuple[float, float]
    overhead: float = 0.0  # seconds a model's evaluation takes whatever its size (probe only)
    score: tuple[float, float] = (0.0, 0.0)  # per sample an epoch scores (probe only: runs' steps hold it)
    per_run: tuple[float, float] = (0.0, 0.0)  # a run's seconds outside its stages (:mod:`.estimate_start`)


@dataclass(frozen=True)
class Estimate:
    """A run's expected and longest duration, and where the rates came from (``runs`` or ``probe``:
    ``n_runs`` done runs and the ``n_steps`` steps they trained, or the probe's timed steps;
    ``paired_note``: where its paired steps' rate came from when not from runs of its own methods)."""

    seconds: float
    at_most: float
    source: str
    n_runs: int
    n_steps: int
    workload: Workload
    cached_probe: bool = False
    paired_note: str = ""
    start_pending: bool = False  # a launched run's worker start left out, not measured yet (start_note)

    def text(self) -> str:
        """``about 4 min (at most 6 min; from 3 done runs of efficientnet_lite0 at 96 px ...)``."""
        bound = duration(self.at_most, up=True)
        return f"{about(self.seconds)} (at most {bound}; {self.origin()}{start_note([self])})"

    def origin(self) -> str:
        """Where the rates came from, e.g. ``from 3 done runs of lenet_bn on cpu, 180 steps``."""
        label = self.workload.label
        if self.source == "runs":
            note = f"; {self.paired_note}" if self.paired_note else ""
            return f"from {plural(self.n_runs, 'done run')} of {label}, {plural(self.n_steps, 'step')}{note}"
        cached = ", cached" if self.cached_probe else ""
        return f"from a probe of {self.n_steps} steps of {label}{cached}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.text()}


def start_note(estimates: Iterable[Estimate]) -> str:
    """``; a worker's start not counted, not measured yet`` when one of ``estimates`` leaves its
    launched run's start out (:func:`~tlcore.runs.estimate_start.start_seconds`), else ``""``."""
    pending = any(e.start_pending for e in estimates)
    return "; a worker's start not counted, not measured yet" if pending else ""


def duration(seconds: float, up: bool = False) -> str:
    """``20 s``, ``4 min``, ``1 h 05 min``: to the nearest 5 s under a minute, else minute (``up``:
    rounded up instead, for a bound)."""
    unit = 5 if seconds < 60 else 60
    count = max(1, math.ceil(seconds / unit) if up else round(seconds / unit))
    if unit == 5:
        return f"{5 * count} s" if count < 12 else "1 min"
    return f"{count} min" if count < 60 else f"{count // 60} h {count % 60:02d} min"


def about(seconds: float) -> str:
    """``about 20 s``; ``under 5 s`` below the smallest :func:`duration` it says (``--json`` may read
    0.0 s: a run that trains and evaluates nothing)."""
    return "under 5 s" if seconds < 2.5 else f"about {duration(seconds)}"


def steps_per_epoch(cfg: AdaptConfig | Mapping[str, Any], n: int) -> int:
    """The loop's steps an epoch over ``n`` samples: ``steps_per_epoch`` or ``max(1, floor(n / B))``."""
    get = cfg.get if isinstance(cfg, Mapping) else lambda key: getattr(cfg, key)
    return get("steps_per_epoch") or max(1, n // get("batch_size"))


def network_of(cfg: AdaptConfig, input_shape: tuple[int, ...]) -> tuple[str, int | None]:
    """The backbone a run of ``cfg`` builds for ``input_shape`` and its input side (None: not ImageNet); the
    run's one-line :class:`~tlcore.errors.TLError` for a backbone that does not take these samples."""
    name = check_input(cfg.model, input_shape)
    return name, input_side(name, cfg.image_size or auto_options(cfg.model, input_shape).get("image_size"))


def plan(
    cfg: AdaptConfig, pair: RunPair, baseline_cached: bool = False, evaluation_cached: bool = False
) -> Workload:
    """The steps a run of ``cfg`` on ``pair`` trains, at most, and the models it evaluates (see the
    module doc); ``evaluation_cached``: the cache holds the baseline's evaluation too."""
    n_s, n_t = pair.source_train.n_samples, pair.target_train.n_samples
    shape = tuple(pair.source_train.shape)
    model, size = network_of(cfg, shape)
    adapt_epochs = cfg.adapt_epochs or cfg.epochs
    trained = [get_method(m) for m in cfg.methods if get_method(m).kind not in ("transform", "baseline")]
    single = paired = 0
    adapted = bool(trained and trained[0].name != "coral")  # coral refits the head in closed form
    if trained and trained[0].kind in PAIRED_KINDS:
        paired = adapt_epochs * steps_per_epoch(cfg, max(n_s, n_t))
    elif trained and trained[0].name in SINGLE_STAGES:
        side = n_t if SINGLE_STAGES[trained[0].name] == "target" else n_s
        per_epoch = (
            max(1, n_s // cfg.batch_size) if trained[0].name == "finetune" else steps_per_epoch(cfg, side)
        )
        single = adapt_epochs * per_epoch
    return Workload(
        model=model,
        input_shape=shape,
        image_size=size,
        device=pick_device(cfg.device).type,
        batch_size=cfg.batch_size,
        baseline_steps=0 if baseline_cached else cfg.epochs * steps_per_epoch(cfg, n_s),
        single_steps=single,
        paired_steps=paired,
        n_evaluated=n_s + n_t + pair.target_test.n_samples,
        n_scored=(pair.source_val.n_samples + pair.target_test.n_samples)
        * ((0 if baseline_cached else cfg.epochs) + (adapt_epochs if adapted else 0)),
        models_evaluated=int(not evaluation_cached) + _answers_with_a_new_model(cfg.methods),
        methods=tuple(cfg.methods),
    )


def _answers_with_a_new_model(methods: Iterable[str]) -> bool:
    """Whether a run of ``methods`` evaluates a model besides its baseline (every method but the
    baseline's builds one: a stage or the loop trains it, a transform changes a copy)."""
    return any(get_method(m).kind != "baseline" for m in methods)


def baseline_in_cache(cfg: AdaptConfig, workspace: Workspace) -> tuple[bool, bool]:
    """Whether the workspace's baseline cache holds this config's baseline on disk at the torch thread
    count a launch trains on (:func:`~tlcore.runs.slots.run_threads`: another count's trains again), and
    its evaluation made with the settings a run of ``cfg`` evaluates with (no model built)."""
    threads = run_threads(Limits.from_env("max_running").max_running)
    key = baseline_key(cfg, pick_device(cfg.device).type, threads)
    stored = BaselineCache.of_workspace(workspace).stored(key)
    if stored is None:
        return False, False
    return True, ModelEvaluation.from_cache(stored.get("before"), evaluation_settings(cfg.seed)) is not None


@dataclass(frozen=True)
class Measured:
    """One done run's rates (None where it did not train that kind of step) and its steps."""

    methods: tuple[str, ...]
    single: float | None
    paired: float | None
    evaluate: float | None  # None: it evaluated no model (a source_only run of a cached baseline)
    steps: int


def _measured(result: Mapping[str, Any]) -> Measured | None:
    """The rates of one done run's result, None when it lacks the numbers (an older run)."""
    info, cfg = result.get("info") or {}, result.get("config") or {}
    seconds = info.get("seconds_per_stage") or {}
    n_s, n_t, n_test = info.get("n_source_train"), info.get("n_target_train"), info.get("n_target_test")
    if not (seconds and n_s and n_t and n_test and "evaluate" in seconds):
        return None
    epochs = {"baseline": 0, "adapt": 0}
    for row in result.get("history") or ():
        if row.get("stage") in epochs:
            epochs[row["stage"]] += 1
    single = paired = None
    steps = 0
    if not info.get("baseline_cached") and epochs["baseline"] and seconds.get("baseline"):
        steps += (n := epochs["baseline"] * steps_per_epoch(cfg, n_s))
        single = seconds["baseline"] / n
    methods = tuple(cfg.get("methods") or ())
    trained = [get_method(m).kind for m in methods if get_method(m).kind not in ("transform", "baseline")]
    if trained and trained[0] in PAIRED_KINDS and epochs["adapt"] and seconds.get("adapt"):
        steps += (n := epochs["adapt"] * steps_per_epoch(cfg, max(n_s, n_t)))
        paired = seconds["adapt"] / n
    models = int(not info.get("baseline_cached")) + _answers_with_a_new_model(methods)
    spent = seconds["evaluate"] + seconds.get("transform", 0.0)
    evaluate = spent / ((n_s + n_t + n_test) * models) if models else None
    return Measured(methods, single, paired, evaluate, steps)


def _same_network(record: RunRecord, result: Mapping[str, Any], work: Workload) -> bool:
    model = (result.get("info") or {}).get("model") or {}
    size = input_side(model.get("name") or "", (model.get("options") or {}).get("image_size"))
    device = record.config.get("device")
    return (
        model.get("name") == work.model
        and tuple(model.get("input_shape") or ()) == work.input_shape  # a run that lacks it: not matched
        and size == work.image_size
        and pick_device(device).type == work.device
        and record.config.get("batch_size") == work.batch_size
    )


def measured_runs(records: Iterable[RunRecord], work: Workload) -> list[Measured]:
    """The rates of the done runs among ``records`` with ``work``'s network, input shape, image size,
    device and batch size."""
    found = []
    for record in records:
        if record.status != "done" or record.config.get("batch_size") != work.batch_size:
            continue
        try:
            result = timing_result(record)
        except (UnreadableResultError, OSError):
            continue
        if _same_network(record, result, work) and (measured := _measured(result)) is not None:
            found.append(measured)
    return found


def stored_rates(found: list[Measured], methods: tuple[str, ...]) -> tuple[Rates, int, int, bool] | None:
    """The rates of the runs ``found`` (:func:`measured_runs`), the number of runs and of steps they rest
    on, and whether runs of ``methods`` timed paired steps (else the paired rate is 0: a FixMatch step
    may cost more than other compositions' or two single steps, :func:`estimate` probes it); None when
    they timed under :data:`MIN_TIMED_STEPS` steps."""
    with_paired = [m for m in found if m.paired is not None]
    same = [m for m in with_paired if m.methods == methods]
    paired_runs = same or with_paired
    used = [m for m in found if m.single is not None or any(m is p for p in paired_runs)]
    if sum(m.steps for m in used) < MIN_TIMED_STEPS:  # none, or too few timed steps: the probe's
        return None
    single = [m.single for m in used if m.single is not None]
    paired = [m.paired for m in paired_runs if m.paired is not None]
    single_rate = _fastest(single) if single else _scaled(_fastest(paired), 0.5)
    paired_rate = _fastest(paired) if same else (0.0, 0.0)
    evaluate = _fastest([m.evaluate for m in used if m.evaluate is not None])
    rates = Rates(single_rate, paired_rate, evaluate)
    return rates, len(used), sum(m.steps for m in used), bool(same)


def _fastest(rates: list[float]) -> tuple[float, float]:
    """(fastest, slowest) of the runs' seconds per unit of work: a run on a busy machine waits for a
    core, which only adds time, so the fastest run is the closest to the work's own cost (as
    :mod:`timeit` takes the minimum of its repeats); the slowest bounds a busy machine."""
    return (min(rates), max(rates)) if rates else (0.0, 0.0)


def _scaled(rate: tuple[float, float], factor: float) -> tuple[float, float]:
    return rate[0] * factor, rate[1] * factor


def combine(work: Workload, rates: Rates) -> tuple[float, float]:
    """(expected, longest) seconds: ``steps * seconds per step`` of each kind + each evaluated model's
    evaluation + the run's seconds outside its stages (``per_run``)."""
    single = work.baseline_steps + work.single_steps

    def total(i: int) -> float:
        return (
            single * rates.single[i]
            + work.paired_steps * rates.paired[i]
            + work.models_evaluated * (work.n_evaluated * rates.evaluate[i] + rates.overhead)
            + work.n_scored * rates.score[i]
            + rates.per_run[i]
        )

    return total(0), total(1)


def estimate(
    cfg: AdaptConfig,
    pair: RunPair,
    workspace: Workspace,
    baseline_trained: bool = False,
    launched: bool = False,
    *,
    workspace_cache: bool = True,
) -> Estimate:
    """The estimate of a run of ``cfg`` on ``pair`` in ``workspace``: from its done runs of the same
    network (a paired step no run of its composition timed: a probe of its own terms, scaled to them),
    else from a probe (cached in the workspace); ``baseline_trained``: a run before it trains
    its baseline and evaluation (a sweep's, :func:`~tlcore.runs.estimate_batch.sweep_batch`);
    ``launched``: the run starts a worker process of its own (the app, ``--detach``, a sweep's trials);
    ``workspace_cache``: it reuses the baseline the workspace's cache holds (False: a Ray trial,
    :attr:`~tlcore.runs.executors.ExecutorSettings.workspace_cache`, trains it unless a run before it did)."""
    from tlcore.runs.estimate_paired import own_paired_rate  # noqa: PLC0415 - it imports this module
    from tlcore.runs.probe import probe_rates  # noqa: PLC0415 - it imports this module

    if baseline_trained or not workspace_cache:
        cached = (baseline_trained, baseline_trained)
    else:
        cached = baseline_in_cache(cfg, workspace)
    work = plan(cfg, pair, *cached)
    store = RunStore(workspace)
    done = store.list("done", limit=max(1, store.count("done")))
    found = measured_runs(done, work)
    stored = stored_rates(found, cfg.methods)
    if stored is not None:
        rates, n_runs, n_steps, own = stored
        note = ""
        if work.paired_steps and not own:  # no run of its own composition timed a paired step
            rates, note = own_paired_rate(cfg, pair, work, workspace, found=found, rates=rates)
        starts, pending = per_run(done, launched, workspace)  # after any probe (see per_run)
        seconds, at_most = combine(work, replace(rates, per_run=starts))
        return Estimate(
            seconds, at_most, "runs", n_runs, n_steps, work, paired_note=note, start_pending=pending
        )
    rates, n_steps, cached = probe_rates(cfg, pair, work, workspace)
    starts, pending = per_run(done, launched, workspace)
    seconds, at_most = combine(work, replace(rates, per_run=starts))
    return Estimate(seconds, at_most, "probe", 0, n_steps, work, cached_probe=cached, start_pending=pending)
