"""``python -m tlcore sweep``: many runs as one experiment, on this machine or a Ray cluster.

``--methods deep_coral+im,dann+im --grid dann.weight=0.1,0.3,1 --seeds 0,1,2`` runs every
composition x point of the grid x seed as an ordinary run (a ``dann.*`` key only varies the
compositions with ``dann``); ``--range`` with ``--search random|optuna --n N`` samples instead.
The arguments parse into a :class:`~tlcore.runs.sweep.SweepSpec` and
:class:`~tlcore.runs.executors.ExecutorSettings`, the same objects the app fills.
"""

from __future__ import annotations

import argparse
import functools
from typing import TYPE_CHECKING

from tlcore.cli.budget import add_budget_arguments, budget_values
from tlcore.cli.output import wrapped
from tlcore.cli.sweeps import add_executor_arguments, executor_settings, run_sweep
from tlcore.data.spec_text import anchored
from tlcore.limits import Limits
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.search import SEARCH_KINDS, Search
from tlcore.runs.slots import worker_thread_share
from tlcore.runs.sweep import (
    DEFAULT_SEEDS,
    SweepSpec,
    check_labelled,
    check_networks,
    checked,
    spec_from_text,
)
from tlcore.workspace import Workspace

if TYPE_CHECKING:
    from tlcore.adapt.config import AdaptConfig
    from tlcore.adapt.pair import RunPair
    from tlcore.runs.estimate import Estimate
    from tlcore.runs.estimate_batch import Batch


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``sweep``'s arguments."""
    parser.add_argument("--source", required=True, metavar="SPEC", help="source domain spec, e.g. mnist5k")
    parser.add_argument("--target", required=True, metavar="SPEC", help="target domain spec, e.g. digits")
    parser.add_argument(
        "--methods", required=True, metavar="A+B,C", help="comma-separated methods or compositions"
    )
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="values of METHOD.PARAM (dann.weight) or of a budget field (lr, epochs, ...); repeatable",
    )
    parser.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH[:log][:int]",
        help="a range to sample (random or optuna search); repeatable",
    )
    parser.add_argument("--search", choices=SEARCH_KINDS, default="grid", help="how points are chosen")
    parser.add_argument("--n", type=int, metavar="N", help="points per composition (random, optuna)")
    parser.add_argument("--search-seed", type=int, default=0, metavar="N", help="seed of the draws")
    parser.add_argument("--batch", type=int, default=4, metavar="N", help="optuna: points proposed per round")
    seeds = ",".join(map(str, DEFAULT_SEEDS))
    parser.add_argument("--seeds", default=seeds, metavar="S,S", help=f"training seeds (default {seeds})")
    budget = parser.add_argument_group("training budget of every trial (default: the adapt defaults)")
    add_budget_arguments(budget)
    add_executor_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # a missing Ray, a dead Ray address, a refused token (RAY_AUTH_MODE): one line before torch loads
    # (the spec's methods are read from the registry, which loads it)
    settings = executor_settings(args)
    from tlcore.adapt.pair import load_run_pair  # noqa: PLC0415 - loads torch
    from tlcore.data.spec import check_present, spec_labelled  # noqa: PLC0415 - loads torch
    from tlcore.runs import driver  # noqa: PLC0415 - loads torch

    spec = spec_from_args(args)
    workspace = Workspace.resolve(args.workspace)
    for domain in (spec.source, spec.target):  # before a sweep exists
        check_present(domain, workspace)
    check_labelled(spec, functools.partial(spec_labelled, workspace=workspace))
    spec = checked(spec)  # a bad value refused before the data loads
    first = spec.trial_config(spec.compositions[0], {}, spec.seeds[0])
    pair = load_run_pair(first, workspace)
    check_networks(spec, pair.source_train.shape)
    batch = estimate(spec, settings, workspace, {first.test_fraction: pair})
    # said before the estimate, as adapt says it (its first trial's splits); searched here, the
    # trials read the search from the workspace's cache (:mod:`tlcore.adapt.copy_search`)
    shared = pair.shared(first)
    if not args.json:
        lines = wrapped(shared.line(workspace=args.workspace), "shared: ", "  ") if shared else []
        print("\n".join(lines + wrapped(batch.text(), "estimated: ", "  ")), flush=True)
    sweep_id = driver.create(workspace, spec, settings)
    found = {"shared_samples": shared and shared.to_dict(workspace=args.workspace)}
    return run_sweep(args, workspace, sweep_id, {"estimate": batch.to_dict()} | found)


def estimate(
    spec: SweepSpec, settings: ExecutorSettings, workspace: Workspace, pairs: dict[float, RunPair]
) -> Batch:
    """The Sweep page's estimate of the sweep's trials (:func:`tlcore.runs.estimate_batch.sweep_batch`),
    at the thread count a trial has (a launched run's; a Ray trial's ``cpus_per_trial``), a baseline
    cached in the workspace reused by local trials only
    (:attr:`~tlcore.runs.executors.ExecutorSettings.workspace_cache`); the trials share the pair of their
    test fraction, from ``pairs`` (the pairs loaded already) or loaded once (a grid may change the
    splits)."""
    from tlcore.adapt.pair import load_run_pair  # noqa: PLC0415 - loads torch
    from tlcore.runs.estimate import estimate as estimate_run  # noqa: PLC0415 - loads torch
    from tlcore.runs.estimate_batch import executor_share, sweep_batch  # noqa: PLC0415 - loads torch

    def estimate_of(cfg: AdaptConfig, baseline_trained: bool) -> Estimate:
        if cfg.test_fraction not in pairs:
            pairs[cfg.test_fraction] = load_run_pair(cfg, workspace)
        pair, cache = pairs[cfg.test_fraction], settings.workspace_cache
        return estimate_run(cfg, pair, workspace, baseline_trained, launched=True, workspace_cache=cache)

    with worker_thread_share(Limits.from_env().max_running, executor_share(settings).threads):
        return sweep_batch(spec, settings, estimate_of)


def spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """The :class:`SweepSpec` the arguments describe (checked against the registry by ``create``)."""

    return spec_from_text(
        anchored(args.source),  # the trials' workers run elsewhere
        anchored(args.target),
        args.methods,
        grid=args.grid,
        ranges=args.range,
        search=Search(args.search, args.n, args.search_seed, args.batch),
        seeds=args.seeds,
        budget=budget_values(args),
    )
