"""A launched run's start as the tests' estimates read it: :data:`WORKER_START` seconds, patched into
every test's process (tests/conftest.py) and stored by :func:`record_worker_start` in a workspace that
a test's other processes use (an app server, a CLI): an estimate would otherwise time a worker-like
process in each test's fresh workspace (timed for real in tests/runs/test_estimate_first_sweep.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tlcore.cache_files import SUFFIX, code_version, write_entry
from tlcore.runs import estimate_start

WORKER_START = 4.0  # seconds a launched run's worker takes to start, as the estimates in tests read it


def record_worker_start(root: Path) -> Path:
    """``root``, a workspace whose estimates read a launched run's start as :data:`WORKER_START` (the
    entry :func:`tlcore.runs.estimate_start.start_seconds` would measure and keep)."""
    entry = root / "cache" / "estimates" / f"{estimate_start.START_KEY}{SUFFIX}"
    write_entry(entry, code_version(), json.dumps(WORKER_START).encode())
    return root
