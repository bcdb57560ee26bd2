"""``python -m tlcore sweeps list | show ID | cancel ID [--force] | resume ID``: sweeps from the shell.

``show`` prints the per-configuration table (mean ± std over seeds), the recommended configuration
(chosen without target labels) and the best in hindsight; ``--json`` everything, ``--csv`` the table.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from tlcore.cli.output import ProgressBar, clipped, print_json, prose_width, text_table, wrapped
from tlcore.cli.stores import SWEEP_ID_HELP, outliving_driver, print_stopped
from tlcore.commands import command_line
from tlcore.errors import TLError
from tlcore.numbers import DIGITS, SCORE_DIGITS, and_more, percent, significant
from tlcore.runs.executors import EXECUTORS, ExecutorSettings
from tlcore.runs.process_stop import EXIT_GRACE, FORCE_AFTER, TERM_GRACE, driver_still_runs
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

if TYPE_CHECKING:
    from tlcore.runs.summary import SweepSummary
    from tlcore.runs.trial_numbers import Stat

CANCEL_WAIT = 30.0  # seconds `sweeps cancel` waits for the sweep to end
FAILED_SHOWN = 3  # failed trials whose error a summary names; --trials lists every one


def register_show(parser: argparse.ArgumentParser) -> None:
    """Add ``sweeps show``'s arguments."""
    parser.add_argument("sweep_id", metavar="ID", help=SWEEP_ID_HELP)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="everything as JSON on stdout")
    output.add_argument("--csv", action="store_true", help="the per-configuration table as CSV on stdout")
    output.add_argument("--trials", action="store_true", help="also list every trial")
    parser.set_defaults(handler=show_sweep)


def register_cancel(parser: argparse.ArgumentParser) -> None:
    """Add ``sweeps cancel``'s arguments."""
    parser.add_argument("sweep_id", metavar="ID", help=SWEEP_ID_HELP)
    parser.add_argument(
        "--wait",
        type=float,
        metavar="S",
        help=f"seconds to wait for it to end (default {CANCEL_WAIT:g}; with --force {FORCE_AFTER:g})",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="a driver that has not ended by then is hung: end its process (SIGTERM, then SIGKILL "
        f"{TERM_GRACE:g} s later), close the sweep cancelled and ask its trials to stop; an ended sweep "
        f"whose launched driver still runs {EXIT_GRACE:g} s after closing it: end that process, the sweep "
        "kept as it is",
    )
    parser.add_argument("--json", action="store_true", help="the sweep's record as JSON on stdout")
    parser.set_defaults(handler=cancel_sweep)


def register_resume(parser: argparse.ArgumentParser) -> None:
    """Add ``sweeps resume``'s arguments."""
    parser.add_argument("sweep_id", metavar="ID", help=SWEEP_ID_HELP)
    add_executor_arguments(parser, defaults_from_sweep=True)
    parser.set_defaults(handler=resume_sweep)


def add_executor_arguments(parser: argparse.ArgumentParser, *, defaults_from_sweep: bool = False) -> None:
    """``--executor``, ``--address``, ``--max-concurrent``, ``--cpus-per-trial``, ``--detach``, ``--json``;
    ``defaults_from_sweep`` (``resume``): an option left out keeps the sweep's setting, and says so."""
    fresh = ExecutorSettings()
    new = {
        "executor": f"(default: {fresh.kind})",
        "address": "(default: $TLSTUDIO_RAY_ADDRESS, else an embedded loopback-only one)",
        "max_concurrent": "(default: the run slots; Ray: CPUs / cpus per trial)",
        "cpus_per_trial": f"(default {fresh.cpus_per_trial})",
    }
    default = dict.fromkeys(new, "(default: the sweep's)") if defaults_from_sweep else new
    parser.add_argument("--executor", choices=EXECUTORS, help=f"where trials run {default['executor']}")
    parser.add_argument(
        "--address", metavar="HOST:PORT", help=f"an existing Ray cluster {default['address']}"
    )
    parser.add_argument(
        "--max-concurrent",
        type=int,
        metavar="N",
        help=f"trials handed to the executor at once {default['max_concurrent']}",
    )
    parser.add_argument(
        "--cpus-per-trial",
        type=int,
        metavar="N",
        help=f"Ray: CPUs of each trial's task = its torch threads {default['cpus_per_trial']}",
    )
    parser.add_argument("--detach", action="store_true", help="drive it in the background; print its id")
    parser.add_argument("--json", action="store_true", help="JSON on stdout, no progress bar")


def executor_settings(args: argparse.Namespace, base: ExecutorSettings | None = None) -> ExecutorSettings:
    """The settings the arguments give, over ``base`` (a resumed sweep's) or the defaults."""
    base = base or ExecutorSettings()
    kind = args.executor or base.kind
    address = args.address if args.address is not None else (base.address if kind == base.kind else None)
    settings = ExecutorSettings.resolve(
        kind,
        address,
        max_concurrent=args.max_concurrent if args.max_concurrent is not None else base.max_concurrent,
        cpus_per_trial=args.cpus_per_trial if args.cpus_per_trial is not None else base.cpus_per_trial,
    )
    if settings.kind == "ray":
        from tlcore.runs.executors.ray_session import RaySession, check_ray_installed  # noqa: PLC0415 - only for Ray

        # a missing Ray, a dead address, a refused token: one line, before a sweep exists; the embedded
        # cluster's check imports no Ray (its driver does: inline, this process, after it)
        if settings.address is None:
            check_ray_installed()
        else:
            RaySession(settings.address).check()
    return settings


def run_sweep(
    args: argparse.Namespace, workspace: Workspace, sweep_id: str, extra: dict[str, Any] | None = None
) -> int:
    """Drive the sweep inline with a progress bar (or launch it with ``--detach``); print the outcome
    (``--json``: with ``extra``'s keys, e.g. a new sweep's estimate). A sweep that does not end
    ``done`` (cancelled from elsewhere) is one error line, exit 2, as ``adapt``'s inline run."""
    from tlcore.runs import driver  # noqa: PLC0415 - numpy and the store readers: not for sweeps list

    if args.detach:
        driver.launch(workspace, sweep_id)
        if args.json:
            status = SweepStore(workspace).get(sweep_id).status
            print_json({"sweep_id": sweep_id, "status": status} | (extra or {}))
        else:
            follow = command_line("sweeps", "show", sweep_id, workspace=args.workspace)
            print(f"sweep {sweep_id} started; follow it with:\n  {follow}")
        return 0
    bar = ProgressBar(f"sweep {sweep_id}", enabled=not args.json)
    shown: list[tuple[float, str]] = []

    def show(state: SweepSummary) -> None:
        line = (round(state.progress, 3), driver.progress_line(state))
        if shown[-1:] != [line]:  # redraw only on a change
            shown[:] = [line]
            bar.update(*line)

    try:
        # stdout is for --json (Ray prints worker deaths there); SIGTERM cancels, as Ctrl-C (main)
        with contextlib.redirect_stdout(sys.stderr):
            final = driver.drive(workspace, sweep_id, show)
    finally:
        bar.close()
    if final.sweep.status != "done":  # cancelled or ended elsewhere: refused, as adapt's inline run
        reason = f" ({final.sweep.error})" if final.sweep.error else ""
        show = command_line("sweeps", "show", sweep_id, workspace=args.workspace)
        raise TLError(f"sweep {sweep_id} {final.sweep.status}{reason}; its trials so far: {show}")
    if args.json:
        print_json(final.to_dict(workspace=args.workspace) | (extra or {}))
    else:
        print_summary(final, workspace=args.workspace)
    return 0


def show_sweep(args: argparse.Namespace) -> int:
    from tlcore.runs import driver  # noqa: PLC0415 - numpy and the store readers: not for sweeps list
    from tlcore.views.sweep import configs_csv  # noqa: PLC0415 - pandas

    workspace = Workspace.existing(args.workspace)
    store = SweepStore(workspace)
    store.mark_stale([store.get(args.sweep_id)])
    state = driver.summary(workspace, args.sweep_id)
    if args.json:  # a driver that outlives its sweep: its pid
        print_json(
            state.to_dict(workspace=args.workspace) | {"driver_still_runs": driver_still_runs(state.sweep)}
        )
    elif args.csv:
        print(configs_csv(state), end="")
    else:
        print_summary(state, workspace=args.workspace)
        if args.trials:
            print("", *trial_lines(state), sep="\n")
    return 0


def cancel_sweep(args: argparse.Namespace) -> int:
    from tlcore.runs import driver  # noqa: PLC0415 - numpy and the store readers: not for sweeps list

    workspace = Workspace.existing(args.workspace)
    if args.force and (said := driver.stop_outliving_driver(workspace, args.sweep_id)) is not None:
        return print_stopped(said, SweepStore(workspace).get(args.sweep_id).to_dict(), args.json)
    wait = args.wait if args.wait is not None else FORCE_AFTER if args.force else CANCEL_WAIT
    record = driver.cancel(workspace, args.sweep_id, wait, force=args.force)
    if args.json:
        print_json(record.to_dict())
    elif record.active:
        print(f"sweep {record.id}: cancel requested; still {record.status}")
    else:
        print(f"sweep {record.id}: {record.status}" + (f" ({record.error})" if record.error else ""))
    return 0


def resume_sweep(args: argparse.Namespace) -> int:
    from tlcore.runs import driver  # noqa: PLC0415 - numpy and the store readers: not for sweeps list

    workspace = Workspace.existing(args.workspace)
    record = SweepStore(workspace).get(args.sweep_id)
    settings = executor_settings(args, record.executor)
    driver.resume(workspace, args.sweep_id, settings)
    return run_sweep(args, workspace, args.sweep_id)


def print_summary(state: SweepSummary, *, workspace: str | None = None) -> None:
    """The sweep's status line and per-configuration table for people; its commands with ``--workspace
    workspace`` when given (:mod:`tlcore.commands`)."""
    from tlcore.runs import driver  # noqa: PLC0415 - numpy and the store readers: not for sweeps list
    from tlcore.runs.sweep_selection import HINDSIGHT_KEY  # noqa: PLC0415 - numpy: not for sweeps list
    from tlcore.views.sweep import PER_SETUP, outscored_line, rule, setup_lines  # noqa: PLC0415 - pandas

    sweep = state.sweep
    spec = sweep.spec
    print(f"sweep {sweep.id}: {sweep.status}" + (f" ({sweep.error})" if sweep.error else ""))
    if said := outliving_driver(sweep, workspace):
        print("\n".join(wrapped(said, "  warning  ")))
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sweep.created))
    said = f"{spec.source} -> {spec.target}, {spec.search.kind} search, seeds {list(spec.seeds)}, "
    print("\n".join(wrapped(f"{said}{sweep.executor.kind} executor, created {created}", "  ")))
    print(f"  trials: {driver.progress_line(state)}")
    print("", *config_lines(state), sep="\n")
    for row in state.left_out:
        print(f"  left out: trial {row.trial.key}: {row.unreadable}")
    for row in state.failed[:FAILED_SHOWN]:  # why no configuration may be complete
        print(clipped(f"  failed: trial {row.trial.key}: {' '.join(row.error.split())}", prose_width()))
    if len(state.failed) > FAILED_SHOWN:
        print(f" {and_more(len(state.failed) - FAILED_SHOWN, 'failed trial')}: --trials")
    print()
    setups = setup_lines(state)  # a sweep over networks or target labels: one recommendation per setup
    chosen = state.recommended or f"- ({state.no_recommendation})"
    ruled = f"{rule(state.scored_by)}: the PASSED column"
    said = f"{PER_SETUP} ({ruled}):" if setups else f"({ruled}): {chosen}"
    print("\n".join(wrapped(said, "  * recommended without target labels ", "    ")))
    for line in setups:
        print("\n".join(wrapped(line, "      ")))
    for setup, found in state.fallback_by_setup.items():  # a kept source-only model, as `runs rank` says
        for command in filter(None, (f.command(workspace=workspace) for f in found)):
            said = f"{setup}: to label data" if setups else "to label data"
            print(
                f"    {said} with it, make it a run (its baseline is cached: nothing trains):\n    {command}"
            )
    if why := outscored_line(state, workspace=workspace):
        print("\n".join(wrapped(why, "    ")))
    best = f"  + best in hindsight (mean {HINDSIGHT_KEY}, needs target labels)"
    if setups:  # one per setup, a line each, as the recommendations above
        print("\n".join(wrapped(f"{best[4:]}, one per setup:", best[:4], "    ")))
        for setup, key in state.best_by_setup.items():
            print("\n".join(wrapped(f"{setup}: {key or '-'}", "      ")))
    else:
        print("\n".join(wrapped(f"{best[4:]}: {state.best_in_hindsight or '-'}", best[:4], "    ")))
    if state.best_in_hindsight == state.recommended and state.recommended:
        print("    (the recommendation is also the best in hindsight: *+)")


def config_lines(state: SweepSummary) -> list[str]:
    """``sweeps show``'s per-configuration table in 100 columns, whatever the keys' length (as
    :func:`trial_lines`): each configuration's key on a line of its own after its marks (``*``
    recommended, ``+`` best in hindsight), then its row: seeds done, runs PASSED, mean ± std over
    seeds of what ranks it (target accuracy, selection score), the mean of the rest (the seeds'
    disagreement, MMD² after adapting, seconds). Their standard deviations: ``--csv``, ``--json``."""
    from tlcore.runs.summary import SEEDS_KEY  # noqa: PLC0415 - numpy: not for sweeps list
    from tlcore.runs.sweep_selection import HINDSIGHT_KEY, SCORE_KEY  # noqa: PLC0415 - numpy: not for sweeps list
    from tlcore.views.sweep import passed_text  # noqa: PLC0415 - pandas

    ranked, means = (HINDSIGHT_KEY, SCORE_KEY), (SEEDS_KEY, "gap_after.mmd2", "seconds")
    rows, titles = [], []
    for config in state.configs:
        mark = ("*" if state.is_recommended(config.key) else "") + ("+" if state.is_best(config.key) else "")
        titles.append(f"{mark:>2}  {config.key}")
        stats = [_stat(name, config.metrics.get(name)) for name in ranked]
        stats += [_number(name, stat.mean if (stat := config.metrics.get(name)) else None) for name in means]
        rows.append((f"{config.n_done}/{config.n_seeds}", passed_text(config), *stats))
    header = ("SEEDS", "PASSED", *ranked, *means)
    return keyed_table(header, rows, titles, right=range(len(header)))


def trial_lines(state: SweepSummary) -> list[str]:
    """``sweeps show --trials``: each configuration's key on a line of its own, then one row per trial
    (seed, status with a running run's progress, target accuracy, selection score, whether it passed
    the guardrails, run id for ``runs show``), in 90 columns whatever the keys' length; then every
    failed or left-out trial's error in full. The trials' other numbers: ``--json``, ``runs show RUN``."""
    from tlcore.runs.sweep_selection import HINDSIGHT_KEY, PASSED_KEY, SCORE_KEY  # noqa: PLC0415 - numpy: not for sweeps list

    rows = []
    for row in state.trials:
        status = f"{row.status} {row.run.progress:.0%}" if row.run and row.run.active else row.status
        passed = {1.0: "yes", 0.0: "no"}.get(row.metrics.get(PASSED_KEY, -1.0), "-")
        numbers = [_number(name, row.metrics.get(name)) for name in (HINDSIGHT_KEY, SCORE_KEY)]
        rows.append((row.trial.seed, status, *numbers, passed, row.run.id if row.run else "-"))
    header = ("SEED", "STATUS", HINDSIGHT_KEY, SCORE_KEY, "PASSED", "RUN")
    titles = [f"  {row.config_key}" for row in state.trials]
    lines = keyed_table(header, rows, titles, right=(0, 2, 3))
    for row in state.trials:
        if row.error:
            said = "left out" if row.unreadable else row.status
            lines += wrapped(" ".join(row.error.split()), f"  {said}: trial {row.trial.key}: ", "    ")
    return lines


def keyed_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], titles: Sequence[str], *, right: Collection[int]
) -> list[str]:
    """``rows`` as a :func:`~tlcore.cli.output.text_table` indented four spaces, each row's title (its
    configuration's key) on a line of its own above it whenever it changes: a table as wide as its
    numbers, however long the keys."""
    head, *table = text_table(header, rows, right=right)
    lines, last = [f"    {head}"], None
    for title, line in zip(titles, table, strict=True):
        if title != last:
            lines.append(title)
            last = title
        lines.append(f"    {line}")
    return lines


def _number(name: str, value: float | None, digits: int = DIGITS) -> str:
    """Metric ``name``'s ``value`` as the Sweep page shows it: a share (``summary.PERCENT_COLUMNS``)
    as a percent (``61.2%``), the selection score to a score's digits at most (``0.737``, as
    ``runs rank``), any other number to ``digits`` significant digits; "-" when missing."""
    from tlcore.runs.summary import PERCENT_COLUMNS  # noqa: PLC0415 - numpy: not for sweeps list
    from tlcore.runs.sweep_selection import SCORE_KEY  # noqa: PLC0415 - numpy: not for sweeps list

    if value is None:
        return "-"
    if name in PERCENT_COLUMNS:
        return percent(value)
    return significant(value, min(digits, SCORE_DIGITS) if name == SCORE_KEY else digits)


def _stat(name: str, stat: Stat | None) -> str:
    """``61.2% ± 1.0%``, ``0.762 ± 0.008``: a mean over seeds and its standard deviation (both by
    :func:`_number`)."""
    if stat is None:
        return "-"
    return _number(name, stat.mean) + (f" ± {_number(name, stat.std, 2)}" if stat.std is not None else "")
