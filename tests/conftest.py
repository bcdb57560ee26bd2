"""Every test sees the same terminal: ``$COLUMNS`` so wide that the CLI's prose
(:func:`tlcore.cli.output.wrapped`) stays on one line, whatever terminal pytest runs in (its width
would otherwise leak into the output through :func:`shutil.get_terminal_size`). A test of the
wrapping sets its own width. A launched run's start is :data:`tests.worker_start.WORKER_START` seconds,
measured at once, in every test's process, the estimate's probe of a network is measured once per session
(:mod:`tests.probe_memo`), and every limit starts at its default whatever the shell exports
(:mod:`tests.limits_env`: each limit's variable and its former name cleared).

The suite runs on two pytest-xdist workers (``-n 2``, the README's ``make test``), each module's
tests on one worker (:class:`ByModule`: its module-scoped fixtures are built once, not once per
worker); the modules that start a browser, a server or a Ray cluster of their own
(:data:`ONE_AT_A_TIME`) take turns on one worker, so two of them never share the two cores or a
cluster. A worker's torch (and the processes its tests start) runs one thread unless the shell says
otherwise: two workers of two OpenMP threads each on two cores spin-wait on each other."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.limits_env import default_limits
from tests.worker_start import landing_at_once
from tlcore.runs import estimate_start

if TYPE_CHECKING:
    from tests.sweeps.hung_driver import Processes

UNWRAPPED = "100000"  # terminal columns: no sentence the CLI prints is this long
if "PYTEST_XDIST_WORKER" in os.environ:  # before torch loads (with the first test): its threads are set then
    os.environ.setdefault("OMP_NUM_THREADS", "1")
ONE_AT_A_TIME = ("tests/e2e/", "tests/sweeps/test_sweep_ray.py", "tests/bench/test_sweep_part.py")


class ByModule(LoadScopeScheduling):
    """xdist's scheduling by scope, a scope being a test's module, or one for every module under
    :data:`ONE_AT_A_TIME` (pytest 9 keeps a test's id apart from the ``@group`` suffix that xdist's
    ``--dist loadgroup`` writes into it, so the groups of ``xdist_group`` marks never form)."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", maxsplit=1)[0]
        return "one at a time" if module.startswith(ONE_AT_A_TIME) else module


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> ByModule:
    """The controller's scheduler under ``-n``: :class:`ByModule`."""
    return ByModule(config, log)


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", UNWRAPPED)


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    default_limits(monkeypatch)


@pytest.fixture(autouse=True)
def _worker_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate_start, "measure_in_background", landing_at_once())


@pytest.fixture(autouse=True)
def _probe_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.probe_memo import measured_once  # noqa: PLC0415 - torch loads with the first test, not at collection
    from tlcore.runs import probe  # noqa: PLC0415 - as above

    monkeypatch.setattr(probe, "measure", measured_once)


@pytest.fixture
def processes() -> Iterator[Processes]:
    """``processes(ignore_term=...)``: a hung process (:func:`tests.sweeps.hung_driver.hung`), killed after
    the test if still alive: the real worker or driver the force-stop tests stop."""
    from tests.sweeps.hung_driver import end, hung  # noqa: PLC0415 - only the tests that stop processes

    started: list[subprocess.Popen[bytes]] = []

    def start(*, ignore_term: bool = False) -> subprocess.Popen[bytes]:
        started.append(hung(ignore_term=ignore_term))
        return started[-1]

    yield start
    for process in started:
        end(process)
