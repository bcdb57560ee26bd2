"""``python -m tlcore runs list | cancel ID | delete ID`` and ``sweeps list``: the actions that only read
or change the run and sweep stores, so they start without torch (``runs show``, ``rank`` and ``changes``:
:mod:`.runs`, :mod:`.rank`, :mod:`.changes`; the other ``sweeps`` actions: :mod:`.sweeps`)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from tlcore.cli.gap_text import gap_lines
from tlcore.cli.output import print_json, wrapped
from tlcore.commands import command_line
from tlcore.numbers import significant
from tlcore.runs import jobs
from tlcore.runs.process_stop import (
    EXIT_GRACE,
    RUN,
    SWEEP,
    TERM_GRACE,
    Held,
    Holding,
    driver_still_runs,
    outliving_words,
    worker_still_runs,
)
from tlcore.runs.record import STATUSES, RunRecord
from tlcore.runs.store import RunStore
from tlcore.runs.sweep_store import SweepRecord, SweepStore, listed_line, the_live
from tlcore.workspace import Workspace


def register_list(parser: argparse.ArgumentParser) -> None:
    """Add ``runs list``'s arguments."""
    parser.add_argument("--status", choices=STATUSES, help="only runs with this status")
    parser.add_argument(
        "--limit", type=int, metavar="N", default=50, help="at most this many runs (default 50)"
    )
    parser.add_argument("--source", metavar="SPEC", help="only runs from this source (the spec as given)")
    parser.add_argument("--target", metavar="SPEC", help="only runs on this target (the spec as given)")
    parser.add_argument("--json", action="store_true", help="JSON list on stdout")
    parser.set_defaults(handler=list_runs)


def register_cancel(parser: argparse.ArgumentParser) -> None:
    """Add ``runs cancel``'s arguments."""
    parser.add_argument("run_id", metavar="ID", help=RUN_ID_HELP)
    parser.add_argument(
        "--wait", type=float, default=10.0, metavar="S", help="seconds to wait for it to end (default 10)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="a worker that has not ended by then is hung: end its process (SIGTERM, then SIGKILL "
        f"{TERM_GRACE:g} s later) and close the run cancelled; a run closed interrupted whose worker still "
        f"runs, or whose launched worker still runs {EXIT_GRACE:g} s after closing it: end that process, "
        "the run kept as it is",
    )
    parser.add_argument("--json", action="store_true", help="the run's record as JSON on stdout")
    parser.set_defaults(handler=cancel_run)


def register_delete(parser: argparse.ArgumentParser) -> None:
    """Add ``runs delete``'s arguments."""
    parser.add_argument("run_id", metavar="ID", help=RUN_ID_HELP)
    parser.add_argument("--json", action="store_true", help="the deleted run's record as JSON on stdout")
    parser.set_defaults(handler=delete_run)


def register_sweeps_list(parser: argparse.ArgumentParser) -> None:
    """Add ``sweeps list``'s arguments."""
    parser.add_argument(
        "--limit", type=int, metavar="N", default=50, help="at most this many sweeps (default 50)"
    )
    parser.add_argument(
        "--offset", type=int, default=0, metavar="N", help="skip the N newest (default 0): the next page"
    )
    parser.add_argument(
        "--find",
        default="",
        metavar="WORDS",
        help="only sweeps in which every word is part of the id, status, source or target, a "
        "composition (deep_coral+im) or the creation time (2026-12-05 14:30); case-insensitive",
    )
    parser.add_argument("--json", action="store_true", help="JSON list on stdout")
    parser.set_defaults(handler=list_sweeps)


def list_runs(args: argparse.Namespace) -> int:
    store = run_store(args)
    store.mark_stale()  # once per command: runs whose worker is gone show as interrupted
    records = store.list(args.status, args.limit, args.source, args.target)
    if args.json:  # a worker that outlives its run: its pid, as runs show gives it
        print_json([r.to_dict() | {"worker_still_runs": worker_still_runs(r)} for r in records])
        return 0
    if not records:
        print("no runs yet" if args.status is None else f"no {args.status} runs")
        return 0
    width = max(len("METHOD"), *(len(record.method) for record in records))
    print(f"{'ID':<22}  {'STATUS':<11}  {'PROGRESS':>8}  {'TARGET ACC':>10}  {'METHOD':<{width}}  DOMAINS")
    for record in records:
        accuracy = record.headline.get("target_accuracy")
        accuracy = "-" if accuracy is None else headline_text("target_accuracy", accuracy)
        print(
            f"{record.id:<22}  {record.status:<11}  {record.progress:>8.0%}  {accuracy:>10}  "
            f"{record.method:<{width}}  {record.source} -> {record.target}"
        )
    if (more := store.count(args.status, args.source, args.target) - len(records)) > 0:
        print(f"… {more} more, older: --limit {len(records) + more} to see them all")
    for record in records:
        if said := outliving_worker(record, args.workspace):
            print(f"run {record.id}: {said}")
    return 0


def outliving_worker(record: RunRecord, workspace: str | None = None) -> str:
    """Where the run's worker outlives it (:func:`~tlcore.runs.process_stop.worker_still_runs`):
    :func:`outliving`'s line."""
    return outliving(record, worker_still_runs(record), RUN, workspace)


def outliving_driver(record: SweepRecord, workspace: str | None = None) -> str:
    """Where the sweep's driver outlives it (:func:`~tlcore.runs.process_stop.driver_still_runs`):
    :func:`outliving`'s line."""
    return outliving(record, driver_still_runs(record), SWEEP, workspace)


def outliving(record: Held, pid: int | None, holding: Holding, workspace: str | None = None) -> str:
    """Where the ended run or sweep ``record`` is outlived by its process ``pid`` (None: it is not):
    ``its worker (process PID) still runs: python -m tlcore runs cancel ID --force ends it`` (with
    ``--workspace workspace`` when given), the time since it closed the record where it did
    (:func:`~tlcore.runs.process_stop.outliving_words`); "" otherwise."""
    if pid is None:
        return ""
    words = outliving_words(record, pid, holding, time.time())
    cancel = command_line(holding.command, "cancel", record.id, "--force", workspace=workspace)
    return f"{words}: {cancel} ends it"


def cancel_run(args: argparse.Namespace) -> int:
    workspace = Workspace.existing(args.workspace)
    if args.force and (said := jobs.stop_outliving_worker(workspace, args.run_id)) is not None:
        return print_stopped(said, RunStore(workspace).get(args.run_id).to_dict(), args.json)
    record = jobs.cancel(workspace, args.run_id, args.wait, force=args.force)
    if args.json:
        print_json(record.to_dict())
    elif record.active:
        print(f"run {record.id}: cancel requested; still {record.status}")
    elif record.status == "done":  # QA: "run …: done ()" for a run that had finished
        print(f"run {record.id}: done: it finished before the cancel reached it")
    else:
        print(f"run {record.id}: {record.status}{f' ({record.error})' if record.error else ''}")
    return 0


def print_stopped(said: str, record: dict[str, Any], as_json: bool) -> int:
    """``cancel --force``'s output where the ended run's or sweep's process still ran and was stopped:
    the line ``said``, or with ``as_json`` the ``record`` with it as ``stopped``; exit status 0."""
    if as_json:
        print_json(record | {"stopped": said})
    else:
        print(said)
    return 0


def delete_run(args: argparse.Namespace) -> int:
    record = run_store(args).delete(args.run_id)
    if args.json:
        print_json(record.to_dict())
    else:
        print(f"run {args.run_id} deleted")
    return 0


def list_sweeps(args: argparse.Namespace) -> int:
    store = SweepStore(Workspace.existing(args.workspace))
    # once per command: sweeps whose driver is gone are closed (show as interrupted) and are not live
    live = [record.id for record in store.live()]
    records = store.list(args.limit, args.offset, args.find)
    shown = store.live_first(records, live)  # as the Sweep page's picker: the live ones first, however old
    if args.json:  # a driver that outlives its sweep: its pid, as sweeps show gives it
        print_json([record.to_dict() | {"driver_still_runs": driver_still_runs(record)} for record in shown])
        return 0
    total = store.count(args.find)
    if records:
        print(listed_line(total, args.find, args.offset, records, live) + ".")
    else:
        which = f" match {args.find!r}" if args.find.split() else ""
        there = (
            f"{total} match{'es' if total == 1 else ''}"
            if which
            else f"there {'is' if total == 1 else 'are'} {total}"
        )
        past = f" past the {args.offset} newest: {there}" if total and args.offset else ""
        listed = f"; {the_live(len(live))} {'is' if len(live) == 1 else 'are'} listed below" if live else ""
        print(f"no sweeps{which}{past}{listed}" if which or past or live else "no sweeps yet")
    if not shown:
        return 0
    print(f"{'ID':<22}  {'STATUS':<11}  {'EXECUTOR':<8}  {'PROGRESS':<30}  COMPOSITIONS")
    for record in shown:
        methods = ", ".join("+".join(m) for m in record.spec.compositions)
        progress = record.error if record.status in ("failed", "interrupted") else record.message
        kind = record.executor.kind
        print(f"{record.id:<22}  {record.status:<11}  {kind:<8}  {progress[:30]:<30}  {methods}")
    for record in shown:
        if said := outliving_driver(record, args.workspace):
            print(f"sweep {record.id}: {said}")
    if more := store.count_past(args.find, args.offset + len(records), live):  # the live ones: at the top
        print(f"… {more} more, older: --offset {args.offset + len(records)} for the next page")
    return 0


UNLABELLED = "- (target unlabelled)"  # an accuracy no run measures: the CLI's one wording (headline, rank)


def unlabelled_next(
    source: str, target: str, result: dict[str, Any], workspace: str | None, lead: str = "next: "
) -> list[str]:
    """Where a done run of an unlabelled target is judged (audit helper-275: ``adapt`` and ``runs show``
    ended with no accuracy and no word of how to tell whether adapting helped), after ``lead``: the pair's
    ``runs rank`` command, whole on its own line; nothing for a labelled target, whose accuracy says it,
    or a run without a ``result`` (not done)."""
    if not result or result.get("target_accuracy") is not None:
        return []
    why = (
        "the target is unlabelled, so no accuracy says whether adapting helped; rank the pair's runs "
        "without labels (validators, negative-transfer alarms against the source-only model) with:"
    )
    indent = " " * len(lead)
    rank = command_line("runs", "rank", "--source", source, "--target", target, workspace=workspace)
    return [*wrapped(why, lead, indent), f"{indent}{rank}"]


RUN_ID_HELP = "a run's id, or a start or end of it that names one run (see `runs list`)"
SWEEP_ID_HELP = "a sweep's id, or a start or end of it that names one sweep (see `sweeps list`)"

# the arguments that name a run (a positional ID, --against, --run) or a sweep
RUN_ID_ARGS = ("run_id", "against", "run")
SWEEP_ID_ARGS = ("sweep_id",)


def full_ids(args: argparse.Namespace) -> None:
    """Replace each run or sweep id given by the whole id: every command takes an id, or a unique
    prefix or suffix of it (the pages show the last 6 characters), through the stores' ``resolve``.
    Without the workspace the command says so itself."""
    given = {name for name in (*RUN_ID_ARGS, *SWEEP_ID_ARGS) if isinstance(getattr(args, name, None), str)}
    if not given or not Workspace.resolve(args.workspace, create=False).index_path.is_file():
        return
    runs = RunStore(Workspace.existing(args.workspace))
    for name in given:
        store = runs if name in RUN_ID_ARGS else SweepStore(runs.workspace)
        setattr(args, name, store.resolve(getattr(args, name)))


def run_store(args: argparse.Namespace) -> RunStore:
    """The run store of ``--workspace`` (an existing workspace, else a one-line error)."""
    return RunStore(Workspace.existing(args.workspace))


def format_value(value: Any) -> str:
    """A headline value for people: a float to 3 significant digits (:func:`tlcore.numbers.significant`),
    a dict of floats inline, missing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        return "  ".join(f"{key}={format_value(item)}" for key, item in value.items())
    return significant(value, 3) if isinstance(value, float) else str(value)


def source_accuracy_lines(result: dict[str, Any]) -> list[str]:
    """The final model's accuracy on the source validation split (Compare's "source acc"), as the
    headline's lines: the one accuracy a run of an unlabelled target measures (QA helper-218: adapt and
    runs show printed only two dashes where the app showed it); none when the result holds none."""
    value = result.get("source_accuracy")
    if value is None:
        return []
    text = f"{headline_text('source_accuracy', value)} (the model on the source validation split)"
    return wrapped(text, f"  {'source val accuracy':<22} ")


def headline_lines(key: str, value: Any, detail: str = "") -> list[str]:
    """A done run's headline ``key`` as ``adapt`` and ``runs show`` print it: after its name,
    :func:`headline_text` and ``detail``; a gap (``gap_before``, ``gap_after``) under its name, a line a
    number, as ``diagnose`` prints one (:func:`~tlcore.cli.gap_text.gap_lines`)."""
    name = key.replace("_", " ")
    if key.startswith("gap_") and isinstance(value, dict):
        return [f"  {name}", *gap_lines(value, "    ")]
    return wrapped(headline_text(key, value) + detail, f"  {name:<22} ")


def headline_text(key: str, value: Any) -> str:
    """:func:`format_value` of a done run's headline ``key``; an accuracy in percent, as its count's
    95% CI beside it (QA helper-250: ``0.35 (21 of 60, 95% CI 24.2 to 47.6%)`` mixed two units), a
    missing one says why (:data:`UNLABELLED`: a done run measures both whenever its target test split
    is labelled)."""
    if key.endswith("_accuracy"):
        return UNLABELLED if value is None else f"{value:.1%}"
    return format_value(value)
