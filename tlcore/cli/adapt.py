"""``python -m tlcore adapt``: train one adaptation run, inline with a progress bar or ``--detach``ed.

Arguments parse into the same :class:`~tlcore.adapt.config.AdaptConfig` the app fills; the run is
recorded in the workspace's run store either way, so ``runs list`` and the app see it.
"""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import replace
from typing import Any

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.recipe import RECIPES, get_recipe
from tlcore.adapt.result import HEADLINE_KEYS
from tlcore.cli.budget import add_budget_arguments, budget_values, default
from tlcore.cli.output import ProgressBar, print_json, wrapped
from tlcore.cli.runs import paired_test
from tlcore.cli.stores import headline_lines, source_accuracy_lines, unlabelled_next
from tlcore.commands import command_line
from tlcore.data.spec_text import anchored
from tlcore.errors import TLError
from tlcore.events import ProgressEvent, progress_words
from tlcore.limits import Limits
from tlcore.runs import jobs
from tlcore.runs.repeats import identical_runs, repeat_line
from tlcore.runs.slots import worker_thread_share
from tlcore.runs.space import scalar
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``adapt``'s arguments."""
    parser.add_argument("--source", required=True, metavar="SPEC", help="source domain spec, e.g. mnist5k")
    parser.add_argument("--target", required=True, metavar="SPEC", help="target domain spec, e.g. digits")
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument(
        "--method",
        metavar="NAME[+NAME...]",
        help="a method or a composition such as deep_coral+im "
        f"(default {'+'.join(AdaptConfig.defaults()['methods'])})",
    )
    chosen.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        help="a named recipe: its methods, parameters and budget (options given here override it)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help=f"seed of the splits, the initialisation and the batches {default('seed')}",
    )
    add_budget_arguments(parser)
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="METHOD.KEY=VALUE",
        help="a method hyper-parameter, e.g. dann.weight=0.5 (repeatable)",
    )
    parser.add_argument("--detach", action="store_true", help="start the run in the background, print its id")
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="print how long the run would take (from done runs of the same network, else a short "
        "probe of it) and exit without training",
    )
    parser.add_argument("--json", action="store_true", help="JSON on stdout, no progress bar")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tlcore.adapt.checks import check_data  # noqa: PLC0415 - loads torch
    from tlcore.adapt.pair import load_run_pair  # noqa: PLC0415 - loads torch
    from tlcore.data.spec import check_present, spec_labelled  # noqa: PLC0415 - loads torch
    from tlcore.runs.estimate import estimate as estimate_run  # noqa: PLC0415 - loads torch

    config = config_from_args(args)
    workspace = Workspace.resolve(args.workspace)
    for spec in (config.source, config.target):  # before a run exists
        check_present(spec, workspace)
    check_data([config], functools.partial(spec_labelled, workspace=workspace))
    with worker_thread_share(Limits.from_env().max_running):  # the thread count the run will have
        pair = load_run_pair(config, workspace)
        estimate = estimate_run(config, pair, workspace, launched=args.detach)
    shared = pair.shared(config)  # one line before the estimate when the pair shares samples
    # in every --json output, null if none
    found = {"shared_samples": shared and shared.to_dict(workspace=args.workspace)}
    if args.estimate or not args.json:
        if args.json:
            print_json({"estimate": estimate.to_dict()} | found)
            return 0
        lines = wrapped(shared.line(workspace=args.workspace), "shared: ", "  ") if shared else []
        print("\n".join(lines + wrapped(estimate.text(), "estimated: ", "  ")), flush=True)
        if args.estimate:
            return 0
    note_repeats(workspace, config)
    if args.detach:
        run_id = jobs.launch(workspace, config)
        if args.json:
            status = RunStore(workspace).get(run_id).status
            print_json({"run_id": run_id, "status": status, "estimate": estimate.to_dict()} | found)
        else:
            follow = command_line("runs", "show", run_id, workspace=args.workspace)  # whole, on its own line
            print(f"run {run_id} started; follow it with:\n  {follow}")
        return 0

    bar = ProgressBar(config.method_label, enabled=not args.json)

    def show(event: ProgressEvent) -> None:
        bar.update(event.fraction, progress_words(event.stage, event.message))

    try:
        with worker_thread_share(Limits.from_env().max_running):  # the numbers of the app and --detach
            record = jobs.run_inline(workspace, config, show, pair=pair)  # loaded once
    finally:
        bar.close()
    if record.status != "done":
        raise TLError(f"run {record.id} {record.status}: {record.error}")
    result = RunStore(workspace).result(record.id)
    summary = {"run_id": record.id, "status": record.status, **{k: result.get(k) for k in HEADLINE_KEYS}}
    change = paired_test(result)  # QA: a fall of 8 points went unsaid here, said by runs show
    if args.json:
        print_json(
            summary
            | {"paired_test": change and {**change[0], "text": change[1]}, "estimate": estimate.to_dict()}
            | found
        )
        return 0
    lines = wrapped(f"{record.method} on {record.source} -> {record.target}", f"run {record.id} done: ", "  ")
    for key in HEADLINE_KEYS:  # as runs show writes them
        lines += headline_lines(key, summary[key])
        if key == "source_only_accuracy":
            said = wrapped(change[1], f"  {'change':<22} ") if change else []
            lines += said + source_accuracy_lines(result)
    print("\n".join(lines + unlabelled_next(config.source, config.target, result, args.workspace)))
    return 0


def note_repeats(workspace: Workspace, config: AdaptConfig) -> None:
    """Say on stderr which run of the same config the launch repeats (:mod:`tlcore.runs.repeats`): a
    notice, not a refusal, so that scripts launching on purpose go on."""
    if repeated := identical_runs(RunStore(workspace), config):
        line = f"{repeat_line(repeated)}; starting another anyway"
        print("\n".join(wrapped(line, "note: ", "  ")), file=sys.stderr, flush=True)


def config_from_args(args: argparse.Namespace) -> AdaptConfig:
    """The :class:`AdaptConfig` the arguments describe (unset options keep the config's defaults)."""
    from tlcore.adapt.checks import check_config  # noqa: PLC0415 - loads torch
    from tlcore.methods import parse_methods  # noqa: PLC0415 - registers every method (torch)

    source, target = anchored(args.source), anchored(args.target)  # a detached worker runs elsewhere
    if args.recipe is not None:
        base = get_recipe(args.recipe).config(source, target, target_labels=args.target_labels or 0)
    else:
        base = AdaptConfig(source=source, target=target)
    values: dict[str, Any] = budget_values(args)
    if args.seed is not None:
        values["seed"] = args.seed
    if args.method is not None:
        values["methods"] = parse_methods(args.method)
    given = parse_params(args.param)
    values["params"] = {
        name: {**base.params.get(name, {}), **given.get(name, {})} for name in [*base.params, *given]
    }
    config = replace(base, **values)
    for name in config.params:
        if name not in config.methods:
            raise TLError(f"--param {name}.*: {name} is not among this run's methods ({config.method_label})")
    check_config(config)  # parses every method's parameters
    return config


def parse_params(items: list[str]) -> dict[str, dict[str, Any]]:
    """``["dann.weight=0.5"]`` -> ``{"dann": {"weight": 0.5}}`` (numbers and booleans typed)."""
    params: dict[str, dict[str, Any]] = {}
    for item in items:
        name, dot, rest = item.partition(".")
        key, equals, value = rest.partition("=")
        if not (dot and equals and name and key and value):
            raise TLError(f"--param expects METHOD.KEY=VALUE, got {item!r}")
        params.setdefault(name, {})[key] = scalar(value)
    return params
