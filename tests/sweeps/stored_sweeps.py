"""Sweeps stored through the store API, none run: many of them, for the listing's pages and filter;
the CLI as the sweep tests call it."""

from __future__ import annotations

import time

import pytest

from tlcore.cli import main
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace


def many_sweeps(store: SweepStore, n: int, source: str = "mnist5k", target: str = "digits") -> list[str]:
    """``n`` queued sweeps, oldest first, created one day apart from 2026-11-01 12:00 local time on;
    the even ones of ``deep_coral+im``, the odd ones of ``dann``."""
    compositions = ((("deep_coral", "im"),), (("dann",),))
    ids = [store.create(SweepSpec(source, target, compositions[i % 2]), ExecutorSettings()) for i in range(n)]
    first = time.mktime((2026, 11, 1, 12, 0, 0, 0, 0, -1))
    with store.runs.connect() as conn:
        for day, sweep_id in enumerate(ids):
            conn.execute("UPDATE sweeps SET created = ? WHERE id = ?", (first + day * 86_400, sweep_id))
    return ids


def cli(ws: Workspace, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``python -m tlcore --workspace WS ARGV...`` in this process: exit code, stdout, stderr."""
    code = main(["--workspace", str(ws.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err
