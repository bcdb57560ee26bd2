"""Command-line interface: ``python -m tlcore <command> ...``.

Each command lives in its own module exposing ``register(subparsers)``, which adds its parser and
sets ``handler`` (a function ``(args) -> int``). User errors (:class:`TLError`) become one line on
stderr and exit code 2; ``--json`` output goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tlcore.cli import adapt, data, diagnose, export, methods, predict, runs, sweep, sweeps
from tlcore.errors import TLError

COMMANDS = (data, diagnose, adapt, runs, methods, predict, export, sweep, sweeps)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tlcore", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workspace",
        default=None,
        help="workspace folder (default: $TLSTUDIO_WORKSPACE or ./workspace)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except TLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
