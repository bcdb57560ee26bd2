"""A launched run's start as the tests' estimates read it: :data:`WORKER_START` seconds, measured at
once in every test's process (:func:`landing_at_once`, patched in by tests/conftest.py) and stored by
:func:`record_worker_start` in a workspace that a test's other processes use (an app server, a CLI): an
estimate would otherwise start a worker-like process in the background in each test's fresh
workspace and leave the start out until it lands (timed for real in
tests/runs/test_estimate_start_background.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tlcore.runs import estimate_start
from tlcore.workspace import Workspace

WORKER_START = 4.0  # seconds a launched run's worker takes to start, as the estimates in tests read it


def landing_at_once(seconds: float = WORKER_START) -> Callable[[Workspace], bool]:
    """A stand-in for :func:`tlcore.runs.estimate_start.measure_in_background` whose measurement of
    ``seconds`` lands before it returns (no process started)."""

    def measure(workspace: Workspace) -> bool:
        estimate_start.record_start(workspace, seconds)
        return True

    return measure


def record_worker_start(root: Path) -> Path:
    """``root``, a workspace whose estimates read a launched run's start as :data:`WORKER_START` (the
    entry :func:`tlcore.runs.estimate_start.start_seconds` reads once measured)."""
    estimate_start.record_start(Workspace(root), WORKER_START)
    return root
