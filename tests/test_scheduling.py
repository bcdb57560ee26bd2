"""The suite's xdist scheduler (:class:`tests.conftest.ByModule`) gives each module to one worker and
the modules of :data:`tests.conftest.ONE_AT_A_TIME` to one worker together. It overrides xdist's
``LoadScopeScheduling._split_scope``, a private hook: if a later xdist stops calling it, the work
still spreads test by test and the suite passes, only slower. This test makes that loud."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from tests.conftest import ByModule

COLLECTION = [
    "tests/a/test_x.py::test_1",
    "tests/a/test_x.py::test_2",
    "tests/a/test_x.py::test_3",
    "tests/e2e/test_walk.py::test_1",
    "tests/sweeps/test_sweep_ray.py::test_1",
    "tests/b/test_y.py::test_1",
    "tests/b/test_y.py::test_2",
    "tests/e2e/test_export.py::test_1",
]


@dataclass(eq=False)
class Worker:
    """The parts of xdist's ``WorkerController`` the scheduler calls: what it was sent to run."""

    sent: list[int] = field(default_factory=list)
    shutting_down: bool = False
    gateway: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(id="gw"))

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.extend(indexes)

    def shutdown(self) -> None:
        """Nothing to stop."""


def config() -> SimpleNamespace:
    """A pytest config as far as the scheduler reads it: two workers, scopes in collection order."""
    return SimpleNamespace(getvalue=lambda name: ["2*popen"], option=SimpleNamespace(loadscopereorder=False))


def test_scopes_are_modules_and_the_one_at_a_time_group() -> None:
    scheduler = ByModule(config())
    assert scheduler._split_scope("tests/a/test_x.py::test_2") == "tests/a/test_x.py"
    assert scheduler._split_scope("tests/e2e/test_walk.py::test_1") == "one at a time"
    assert scheduler._split_scope("tests/sweeps/test_sweep_ray.py::TestX::test_1") == "one at a time"


def test_xdist_hands_out_whole_scopes() -> None:
    scheduler = ByModule(config())
    workers = [Worker(), Worker()]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, COLLECTION)
    scheduler.schedule()
    scopes = {
        "tests/a/test_x.py": COLLECTION[:3],
        "one at a time": [COLLECTION[3], COLLECTION[4], COLLECTION[7]],
        "tests/b/test_y.py": COLLECTION[5:7],
    }
    handed = []
    for worker in workers:
        mine = scheduler.assigned_work[worker]
        sent = sorted(COLLECTION[i] for i in worker.sent)
        assert sent == sorted(test for scope in mine for test in scopes[scope])
        handed += mine
    assert sorted(handed + list(scheduler.workqueue)) == sorted(scopes)
    assert all(scheduler.assigned_work[worker] for worker in workers)
