"""Every test sees the same terminal: ``$COLUMNS`` so wide that the CLI's prose
(:func:`tlcore.cli.output.wrapped`) stays on one line, whatever terminal pytest runs in (its width
would otherwise leak into the output through :func:`shutil.get_terminal_size`). A test of the
wrapping sets its own width. A launched run's start is :data:`tests.worker_start.WORKER_START` seconds
in every test's process, the estimate's probe of a network is measured once per session
(:mod:`tests.probe_memo`), and every limit starts at its default whatever the shell exports
(:mod:`tests.limits_env`: each limit's variable and its former name cleared).

The suite runs on two pytest-xdist workers (``-n 2 --dist loadgroup``, the README's ``make test``),
each module's tests on one worker (its module-scoped fixtures are built once, not once per worker);
the tests that start a browser, a server or a Ray cluster of their own (marked ``e2e`` or ``ray``)
run one at a time on one worker (:data:`ONE_AT_A_TIME`), so two of them never share the two cores
or a cluster. A
worker's torch (and the processes its tests start) runs one thread unless the shell says otherwise:
two workers of two OpenMP threads each on two cores spin-wait on each other."""

import os

import pytest

from tests.limits_env import default_limits
from tests.worker_start import WORKER_START
from tlcore.runs import estimate_start

UNWRAPPED = "100000"  # terminal columns: no sentence the CLI prints is this long
if "PYTEST_XDIST_WORKER" in os.environ:  # before torch loads (with the first test): its threads are set then
    os.environ.setdefault("OMP_NUM_THREADS", "1")
ONE_AT_A_TIME = ("e2e", "ray")  # markers of the tests xdist keeps on one worker, in turn


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test in an xdist group (``--dist loadgroup``): its module's, or one for all the tests
    marked by one of :data:`ONE_AT_A_TIME`."""
    for item in items:
        heavy = any(item.get_closest_marker(name) for name in ONE_AT_A_TIME)
        item.add_marker(pytest.mark.xdist_group("one_at_a_time" if heavy else item.nodeid.split("::")[0]))


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", UNWRAPPED)


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    default_limits(monkeypatch)


@pytest.fixture(autouse=True)
def _worker_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate_start, "measure_start", lambda _: WORKER_START)


@pytest.fixture(autouse=True)
def _probe_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.probe_memo import measured_once  # noqa: PLC0415 - torch loads with the first test, not at collection
    from tlcore.runs import probe  # noqa: PLC0415 - as above

    monkeypatch.setattr(probe, "measure", measured_once)
