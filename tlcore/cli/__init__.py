"""Command-line interface: ``python -m tlcore <command> ...``.

The command tree (:data:`COMMANDS`) names each command, its help line and the function that adds
its arguments and sets ``handler`` (a function ``(args) -> int``), as ``module:function``. A command's
module is imported only when the command line names it (:func:`parser_for`), so ``--help``,
``runs list`` and the other commands that only read the stores start without torch, the methods or
the training loop. User errors (:class:`TLError`) and command lines argparse refuses become one
``error:`` line on stderr and exit code 2, Ctrl-C ``error: interrupted`` and 130; ``--json`` output
goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import NoReturn

from tlcore.errors import TLError
from tlcore.interrupts import sigterm_cancels


@dataclass(frozen=True)
class Command:
    """One command: ``adds`` (``module:function``) adds its arguments to its parser, or ``actions``
    are its sub-commands."""

    name: str
    about: str  # the help line, and the description unless ``adds`` sets its own
    adds: str = ""
    actions: tuple[Command, ...] = ()


DESCRIPTION = "tlstudio's engine: data, gap diagnosis, adaptation runs, sweeps, predictions and export"
RUNS = "list, show, rank, cancel and delete adaptation runs, and see where their predictions moved (changes)"
COMMANDS = (
    Command(
        "data",
        "list, inspect and upload domains; drop-copies: a target less its copies of source samples",
        actions=(
            Command(
                "list",
                "built-in, torchvision and uploaded domains, and the shifts",
                "tlcore.cli.data:register_list",
            ),
            Command(
                "inspect",
                "load a domain spec (or a file path) and summarise it",
                "tlcore.cli.data:register_inspect",
            ),
            Command(
                "upload",
                "validate a file and store it in the workspace as upload:NAME",
                "tlcore.cli.data:register_upload",
            ),
            Command(
                "drop-copies",
                "store the target less its copies of source samples (exact and near, as diagnose's "
                "shared: line counts them) as a new upload",
                "tlcore.cli.data:register_drop_copies",
            ),
        ),
    ),
    Command(
        "diagnose",
        "MMD² with a permutation test, CORAL, proxy A-distance and per-class gaps of a domain pair",
        "tlcore.cli.diagnose:register",
    ),
    Command(
        "adapt",
        "train an adaptation run, inline or --detach'ed (see `methods` for the choices)",
        "tlcore.cli.adapt:register",
    ),
    Command(
        "runs",
        RUNS,
        actions=(
            Command("list", "the newest runs, one per line", "tlcore.cli.stores:register_list"),
            Command(
                "show",
                "one run: config, status, results, per-class target accuracy and confusion, artifacts, alarm",
                "tlcore.cli.runs:register",
            ),
            Command("rank", "rank a pair's done runs without target labels", "tlcore.cli.rank:register"),
            Command(
                "changes",
                "where a run's target predictions moved (no target labels needed)",
                "tlcore.cli.changes:register",
            ),
            Command(
                "cancel",
                "ask a queued or running run to stop (--force: a hung worker's process is ended)",
                "tlcore.cli.stores:register_cancel",
            ),
            Command(
                "delete",
                "remove a run that is not queued or running, and its files",
                "tlcore.cli.stores:register_delete",
            ),
        ),
    ),
    Command(
        "cache",
        "the workspace's caches (diagnoses, run-time probes, near-copy searches): their entries and size; "
        "--prune or --clear them (--clear --baselines: the trained baselines too)",
        "tlcore.cli.cache:register",
    ),
    Command(
        "methods",
        "list the adaptation methods, their families and their parameters",
        "tlcore.cli.methods:register",
    ),
    Command(
        "predict",
        "a done run's predictions for every sample of a domain (summary, CSV or Parquet)",
        "tlcore.cli.predict:register",
    ),
    Command(
        "export",
        "write a done run's model as ONNX or TorchScript plus model.json, checked against torch",
        "tlcore.cli.export:register",
    ),
    Command(
        "sweep",
        "run methods x hyper-parameters x seeds as one experiment, here or on Ray (`sweeps` to follow it)",
        "tlcore.cli.sweep:register",
    ),
    Command(
        "sweeps",
        "list, show, cancel and resume sweeps",
        actions=(
            Command(
                "list",
                "the newest sweeps, the live ones first, one per line",
                "tlcore.cli.stores:register_sweeps_list",
            ),
            Command(
                "show",
                "one sweep: per-configuration results and the recommendation",
                "tlcore.cli.sweeps:register_show",
            ),
            Command(
                "cancel",
                "stop a sweep: queued trials never start, running ones stop (--force: a hung driver too)",
                "tlcore.cli.sweeps:register_cancel",
            ),
            Command(
                "resume",
                "run a sweep's unfinished trials (after a crash, a cancel or a killed driver)",
                "tlcore.cli.sweeps:register_resume",
            ),
        ),
    ),
)


class Parser(argparse.ArgumentParser):
    """An argument parser whose refusal is one line, as every other refusal: ``error: why (see:
    PROG --help)`` on stderr, exit code 2 (argparse's own prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.refuse(message, self.prog)

    def refuse(self, message: str, prog: str) -> NoReturn:
        """Exit with the one-line refusal, pointing to ``prog``'s help."""
        self.exit(2, f"error: {message} (see: {prog} --help)\n")


def build_parser(loaded: Collection[str] | None = None) -> Parser:
    """The parser of every command whose ``adds`` is in ``loaded`` (None: every command); any other
    command is a stub that takes any arguments and sets ``stub`` to its ``adds``."""
    parser = Parser(prog="python -m tlcore", description=DESCRIPTION)
    parser.add_argument(
        "--workspace",
        default=None,
        help="workspace folder (default: $TLSTUDIO_WORKSPACE or ./workspace)",
    )
    _add_commands(parser, COMMANDS, "command", loaded)
    return parser


def _add_commands(
    parent: argparse.ArgumentParser, commands: Sequence[Command], dest: str, loaded: Collection[str] | None
) -> None:
    sub = parent.add_subparsers(dest=dest, required=True, metavar=dest.upper())
    for command in commands:
        ready = loaded is None or not command.adds or command.adds in loaded
        parser = sub.add_parser(command.name, help=command.about, description=command.about, add_help=ready)
        if command.actions:
            _add_commands(parser, command.actions, "action", loaded)
            continue
        parser.set_defaults(command_prog=parser.prog)  # the command named: its help explains
        if ready:
            module, _, function = command.adds.partition(":")
            getattr(importlib.import_module(module), function)(parser)
        else:
            parser.set_defaults(stub=command.adds)


def parser_for(argv: Sequence[str] | None) -> Parser:
    """The parser with the commands ``argv`` names loaded, and only those: parsed in rounds, each
    loading the stub the arguments reach, until they reach none (``--help`` prints at the first
    loaded level it names)."""
    loaded: set[str] = set()
    while True:
        parser = build_parser(loaded)
        stub = getattr(parser.parse_known_args(argv)[0], "stub", None)
        if stub is None:
            return parser
        loaded.add(stub)


def main(argv: Sequence[str] | None = None) -> int:
    from tlcore.cli.stores import full_ids  # noqa: PLC0415 - the stores, after parsing (no torch)

    parser = parser_for(argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the top parser finds them; the command's own help is the one that explains
        parser.refuse(f"unrecognized arguments: {' '.join(unknown)}", args.command_prog)
    try:
        with sigterm_cancels():  # SIGTERM ends any command as Ctrl-C does
            full_ids(args)
            return int(args.handler(args))
    except TLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
