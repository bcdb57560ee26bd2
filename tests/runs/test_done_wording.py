"""One word for a run that trained to the end: ``done``, its status (:data:`tlcore.runs.record.STATUSES`).
the CLI audit read "a done run" and "a finished run" for it side by side (``predict``,
``export``, ``diagnose --features``, ``adapt --estimate``; the Compare, Predict and Diagnose pages)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tlcore.cli import build_parser
from tlcore.runs.record import STATUSES

ROOT = Path(__file__).resolve().parents[2]
FINISHED = re.compile(r"\bfinished runs?\b")


def _helps(parser: argparse.ArgumentParser, name: str) -> list[tuple[str, str]]:
    """Every command's help, with its subcommands'."""
    found = [(name, parser.format_help())]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word, sub in action.choices.items():
                found += _helps(sub, f"{name} {word}")
    return found


def test_the_commands_and_pages_call_a_done_run_done() -> None:
    assert "done" in STATUSES
    helps = _helps(build_parser(), "python -m tlcore")
    assert len(helps) > 20 and not [name for name, text in helps if FINISHED.search(" ".join(text.split()))]
    pages = sorted((ROOT / "app_pages").glob("*.py"))
    assert pages and not [page.name for page in pages if FINISHED.search(page.read_text(encoding="utf-8"))]
