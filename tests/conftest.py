"""Every test sees the same terminal: ``$COLUMNS`` so wide that the CLI's prose
(:func:`tlcore.cli.output.wrapped`) stays on one line, whatever terminal pytest runs in (its width
would otherwise leak into the output through :func:`shutil.get_terminal_size`). A test of the
wrapping sets its own width. A launched run's start is taken as :data:`WORKER_START` seconds in the
test's process: an estimate would otherwise time a worker-like process in each test's fresh workspace
(timed for real in tests/runs/test_estimate_first_sweep.py)."""

import pytest

from tlcore.runs import estimate_start

UNWRAPPED = "100000"  # terminal columns: no sentence the CLI prints is this long
WORKER_START = 4.0  # seconds a launched run's worker takes to start, as the estimates in tests read it


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", UNWRAPPED)


@pytest.fixture(autouse=True)
def _worker_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate_start, "measure_start", lambda _: WORKER_START)
