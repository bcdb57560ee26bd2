"""Target accuracy (mean ± std over seeds) of every tlcore method and of skada's counterparts.

tlcore runs go through :func:`tlcore.adapt.run_adaptation`, the same pipeline as the CLI and the
app. skada gets the very arrays that pipeline trains and scores on: the same public loading,
harmonising and seeded splits (:func:`task_arrays`), the same network (:func:`tlcore.adapt.stages.network`
of the run's config), batch size, learning rate and epochs. The method comparison runs without
augmentation on both sides; named recipes run exactly as the app launches them (their own
budget), composed recipes, the target-trained oracle and fine-tuning on k labelled target samples
per class (``Plan.few_shot``) with the engine's defaults, and the recommended recipe trained on k
labelled target samples per class too (``Plan.recipe_labels``). Other than for those last three,
target labels only score the target test split.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import torch

from bench import skada_methods
from bench.accuracy_rows import combine_seeds, composition, method_names
from bench.cells import Cells, config_key
from bench.plan import Plan
from bench.skada_methods import TaskArrays, TrainBudget
from tlcore.adapt.cache import BaselineCache
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pipeline import run_adaptation
from tlcore.adapt.recipe import RECIPES, RECOMMENDED
from tlcore.adapt.stages import network
from tlcore.data import harmonise, load_domain, train_test_split
from tlcore.events import ProgressEvent
from tlcore.methods import get_method
from tlcore.workspace import Workspace

Log = Callable[[str], None]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


class EventClock:
    """Progress events with their arrival time; training throughput from the loop's step events."""

    def __init__(self) -> None:
        self.events: list[tuple[float, ProgressEvent]] = []

    def __call__(self, event: ProgressEvent) -> None:
        self.events.append((time.perf_counter(), event))

    def steps_per_s(self, stage: str) -> float | None:
        """Optimisation steps per second of ``stage``, counting only intervals that end in a step event.

        Such an interval (from the previous step or epoch event) holds training only: epoch-end
        scoring happens before an epoch event, set-up (e.g. instance weights) before the first step.
        """
        ticks = [(t, e) for t, e in self.events if e.stage == stage and e.kind in ("step", "epoch")]
        count, seconds = 0, 0.0
        for (t1, e1), (t2, e2) in itertools.pairwise(ticks):
            if e2.kind == "step":
                count, seconds = count + e2.step - e1.step, seconds + t2 - t1
        return count / seconds if seconds > 0 else None


def task_arrays(
    source: str, target: str, workspace: Workspace, seed: int, test_fraction: float
) -> TaskArrays:
    """The arrays ``run_adaptation`` uses for this task and seed: source train, target train / test."""
    src, tgt = harmonise(load_domain(source, workspace, seed), load_domain(target, workspace, seed))
    source_train, _ = train_test_split(src, test_fraction, seed)
    target_train, target_test = train_test_split(tgt, test_fraction, seed)
    if target_test.y is None or source_train.y is None:
        raise ValueError(f"{source} -> {target}: accuracy needs labelled source and target domains")
    return TaskArrays(
        source_train.X.numpy(),
        source_train.y.numpy(),
        target_train.X.numpy(),
        target_test.X.numpy(),
        target_test.y.numpy(),
        src.n_classes,
    )


def training_stage(methods: tuple[str, ...]) -> tuple[str, int]:
    """The stage whose loop trains a run of ``methods`` and the batches it draws per step.

    Terms and weights train the "adapt" stage on a source and a target batch; a stage method trains
    it on one labelled batch; a baseline or transforms alone only train the source-only baseline.
    """
    kinds = {get_method(name).kind for name in methods}
    if kinds & {"term", "weights"}:
        return "adapt", 2
    return ("adapt", 1) if "stage" in kinds else ("baseline", 1)


def run_tlcore(config: AdaptConfig, workspace: Workspace, cache: BaselineCache) -> dict[str, Any]:
    """One tlcore run: target accuracy, wall time and training samples/s (source + target per step)."""
    clock = EventClock()
    start = time.perf_counter()
    result = run_adaptation(config, workspace, on_event=clock, baseline_cache=cache)
    stage, batches = training_stage(config.methods)
    per_step = config.batch_size * batches
    steps = clock.steps_per_s(stage)
    return {
        "seed": config.seed,
        "status": result.status,
        "accuracy": result.target_accuracy,
        "source_only_accuracy": result.source_only_accuracy,
        "seconds": time.perf_counter() - start,
        "samples_per_s": steps * per_step if steps else None,
        "model": result.info.get("model", {}).get("name"),
        "network": result.info.get("model"),
        "config": config.to_dict(),
    }


def _guarded(label: str, fn: Callable[[], dict[str, Any]], seed: int, log: Log) -> dict[str, Any]:
    """``fn()``, or an error row: one failing run must not stop the benchmark."""
    log(label)
    try:
        return {"seed": seed, **fn()}
    except Exception as exc:
        log(f"  failed: {type(exc).__name__}: {exc}")
        return {"seed": seed, "status": "error", "accuracy": None, "note": f"{type(exc).__name__}: {exc}"}


class _Arrays:
    """The task's arrays for skada, made once and only when asked for."""

    def __init__(
        self, source: str, target: str, workspace: Workspace, seed: int, test_fraction: float
    ) -> None:
        self.key = {"source": source, "target": target, "seed": seed, "test_fraction": test_fraction}
        self._make = partial(task_arrays, source, target, workspace, seed, test_fraction)
        self._arrays: TaskArrays | None = None

    def __call__(self) -> TaskArrays:
        if self._arrays is None:
            self._arrays = self._make()
        return self._arrays


def _skada_seed(
    names: list[str],
    arrays: _Arrays,
    config: AdaptConfig,
    *,
    cells: Cells,
    log: Log,
    working_classifier: bool = False,
) -> dict[str, dict[str, Any]]:
    """skada's counterpart of each of ``names`` on one seed's arrays (made only if a cell is missing),
    with the network and budget of tlcore's run of ``config``; DANN and CDAN with a working domain
    classifier when ``working_classifier`` (:func:`bench.skada_methods.working_domain_classifier`)."""
    budget = TrainBudget(config.epochs, config.batch_size, config.lr, config.seed)
    variant = {"domain_classifier": "working"} if working_classifier else {}  # default runs: keys as before

    def run(name: str) -> dict[str, Any]:
        data = arrays()
        new_model = partial(network, config, tuple(data.Xs.shape[1:]), data.n_classes)
        label = f"skada {skada_methods.COUNTERPARTS[name]} seed {budget.seed}" + (
            " (working domain classifier)" if working_classifier else ""
        )
        fit = partial(
            skada_methods.run_counterpart,
            name,
            data,
            budget,
            new_model,
            working_classifier=working_classifier,
        )
        return _guarded(label, fit, budget.seed, log)

    return {
        name: cells.get_or_run(
            {"kind": "skada", "method": name, "data": arrays.key, "config": config_key(config), **variant},
            partial(run, name),
            keep=_finished,
        )
        for name in names
    }


def _finished(row: dict[str, Any]) -> bool:
    """A row worth keeping as a cell: the run ended (a crash of the harness is retried on resume)."""
    return row.get("status") != "error"


def run_seed(
    plan: Plan,
    source: str,
    target: str,
    seed: int,
    *,
    workspace: Path,
    cells: Cells,
    skada_status: str,
    log: Log,
) -> dict[str, Any]:
    """One task, one seed: a row per tlcore method, skada counterpart (DANN and CDAN also with a
    working domain classifier), recipe and for the oracle.

    Every row is a cell (:mod:`bench.cells`): a resumed benchmark skips the rows it already has.
    """
    ws = Workspace.resolve(workspace)
    names = method_names(plan)
    paired = [n for n in names if n in skada_methods.COUNTERPARTS]
    cache = BaselineCache()  # in memory: one baseline per augmentation setting, shared by the methods

    def ours_run(label: str, cfg: AdaptConfig) -> dict[str, Any]:
        run = partial(_guarded, label, partial(run_tlcore, cfg, ws, cache), cfg.seed, log)
        return cells.get_or_run({"kind": "tlcore", "config": config_key(cfg)}, run, keep=_finished)

    defaults = AdaptConfig(source=source, target=target, epochs=plan.epochs, seed=seed, model=plan.model)
    plain = replace(defaults, augment=False)
    ours = {
        name: ours_run(
            f"tlcore {name} seed {seed}: {source} -> {target}", replace(plain, methods=composition(name))
        )
        for name in names
    }
    theirs: dict[str, dict[str, Any]] = {}
    theirs_working: dict[str, dict[str, Any]] = {}
    if paired and skada_status == "ok":
        arrays = _Arrays(source, target, ws, seed, plain.test_fraction)
        theirs = _skada_seed(paired, arrays, plain, cells=cells, log=log)
        adversarial = [n for n in paired if n in skada_methods.ADVERSARIAL]
        theirs_working = _skada_seed(
            adversarial, arrays, plain, cells=cells, log=log, working_classifier=True
        )
    recipes = {
        recipe: ours_run(f"tlcore recipe {recipe} seed {seed}", recipe_config(recipe, defaults))
        for recipe in plan.recipes
    }
    oracle = (
        ours_run(f"tlcore oracle {plan.oracle} seed {seed}", replace(defaults, methods=(plan.oracle,)))
        if plan.oracle
        else None
    )
    few_shot = {
        str(k): ours_run(
            f"tlcore finetune k={k} seed {seed}", replace(defaults, methods=("finetune",), target_labels=k)
        )
        for k in plan.few_shot
    }
    recipe_labels = {
        str(k): ours_run(
            f"tlcore recipe {RECOMMENDED.name} + k={k} seed {seed}",
            RECOMMENDED.config(source, target, seed=seed, model=defaults.model, target_labels=k),
        )
        for k in plan.recipe_labels
    }
    return {
        "ours": ours,
        "theirs": theirs,
        "theirs_working": theirs_working,
        "recipes": recipes,
        "oracle": oracle,
        "few_shot": few_shot,
        "recipe_labels": recipe_labels,
    }


def recipe_config(recipe: str, defaults: AdaptConfig) -> AdaptConfig:
    """A named recipe (:data:`tlcore.adapt.recipe.RECIPES`: its methods, parameters and budget, exactly
    as the app's button and ``adapt --recipe`` launch it, on ``defaults``' network) or a composition
    ``a+b`` on ``defaults``."""
    if recipe in RECIPES:
        return RECIPES[recipe].config(
            defaults.source, defaults.target, seed=defaults.seed, model=defaults.model
        )
    return replace(defaults, methods=tuple(recipe.split("+")))


def _print_log(message: str) -> None:
    """The log of a worker process (stderr, flushed: lines of parallel workers interleave whole)."""
    print(f"[bench worker {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _run_unit(
    plan: Plan, unit: tuple[str, str, int], workspace: Path, state: Path, skada_status: str
) -> dict[str, Any]:
    source, target, seed = unit
    cells = Cells(state, resume=True)  # the parent prepared the folder
    return run_seed(
        plan,
        source,
        target,
        seed,
        workspace=workspace,
        cells=cells,
        skada_status=skada_status,
        log=_print_log,
    )


def run_accuracy(plan: Plan, workspace: Path, cells: Cells, log: Log) -> dict[str, Any]:
    """Every task and seed of the plan; what skada's availability was; the shared training budget.

    With ``plan.jobs > 1`` the (task, seed) units run in that many worker processes, each with
    ``plan.threads_per_job`` torch threads: on many cores small networks train faster as parallel
    single-threaded processes than as one multi-threaded one (on 2 cores it gained ~10%). A
    different thread count changes the order of floating-point reductions, so accuracies match a
    one-process run only up to that (measured: a point or two for DANN after 2 epochs).
    """
    status = skada_methods.availability()
    units = [(s, t, seed) for s, t in plan.tasks for seed in plan.seeds]
    if plan.jobs > 1:
        context = multiprocessing.get_context("spawn")
        threads = str(plan.threads_per_job)
        # Every thread pool of a worker (torch's OpenMP, MKL/OpenBLAS under NumPy and scikit-learn,
        # numba under UMAP) gets its share before it starts; idle OpenMP threads sleep, not spin.
        worker_env = {name: threads for name in THREAD_VARIABLES} | {"OMP_WAIT_POLICY": "PASSIVE"}
        with (
            mock.patch.dict(os.environ, worker_env),
            ProcessPoolExecutor(
                plan.jobs,
                mp_context=context,
                initializer=torch.set_num_threads,
                initargs=(plan.threads_per_job,),
            ) as pool,
        ):
            unit = partial(_run_unit, plan, workspace=workspace, state=cells.folder, skada_status=status)
            rows = list(pool.map(unit, units))
    else:
        rows = [
            run_seed(plan, s, t, seed, workspace=workspace, cells=cells, skada_status=status, log=log)
            for s, t, seed in units
        ]
    per_task = [rows[i : i + len(plan.seeds)] for i in range(0, len(rows), len(plan.seeds))]
    defaults = AdaptConfig(source="-", target="-")
    return {
        "skada": status,
        "skada_domain_classifier": skada_methods.domain_classifier_probe() if status == "ok" else None,
        "seeds": list(plan.seeds),
        "epochs": plan.epochs,
        "batch_size": defaults.batch_size,
        "lr": defaults.lr,
        "jobs": plan.jobs,
        "threads_per_job": plan.threads_per_job if plan.jobs > 1 else torch.get_num_threads(),
        "tasks": [
            combine_seeds(plan, s, t, rows, status) for (s, t), rows in zip(plan.tasks, per_task, strict=True)
        ],
    }
