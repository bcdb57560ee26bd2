"""A team's workspace holds hundreds of done runs and every estimate reads them all (QA helper-169: an
edit of the Adapt form's config, and each of a sweep's trials, read and parsed every result.json
again): a run's result is read once while its file is unchanged, and the estimate is the same."""

from __future__ import annotations

import json

import pytest

from tests.runs.test_estimate import FAST, SLOW, _finished, _pair
from tlcore.adapt.config import AdaptConfig
from tlcore.runs import run_timings
from tlcore.runs import store as run_store
from tlcore.runs.estimate import estimate
from tlcore.runs.result_file import RESULT_FILE
from tlcore.runs.run_files import LOG_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

DANN = AdaptConfig("mnist5k", "digits", ("dann",), epochs=2, device="cpu")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The run folders whose result file is read (through the store or for the estimate), in order."""
    read: list[str] = []
    real = run_timings.read_result

    def counted(folder):  # type: ignore[no-untyped-def]
        read.append(folder.name)
        return real(folder)

    for module in (run_timings, run_store):
        monkeypatch.setattr(module, "read_result", counted)
    return read


def test_estimates_read_each_done_runs_result_once(workspace: Workspace, reads: list[str]) -> None:
    store = RunStore(workspace)
    fast, slow = _finished(store, DANN, "lenet_bn", FAST), _finished(store, DANN, "lenet_bn", SLOW)
    for run_id in (fast, slow):  # launched runs: their start counts too, a second read of each before
        (store.folder(run_id) / LOG_FILE).write_text("", encoding="utf-8")
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=3, device="cpu")
    first = estimate(cfg, _pair(), workspace, launched=True)
    again = estimate(cfg, _pair(), workspace, launched=True)
    other = estimate(AdaptConfig("mnist5k", "digits", ("dann",), epochs=5, device="cpu"), _pair(), workspace)
    assert sorted(reads) == sorted([fast, slow])
    assert (again.seconds, again.at_most, again.n_runs) == (first.seconds, first.at_most, 2)
    assert other.seconds > first.seconds  # 5 epochs, from the same two runs
    assert first.text().endswith("from 2 done runs of lenet_bn on cpu, 120 steps)")


def test_a_rewritten_result_is_read_again(workspace: Workspace, reads: list[str]) -> None:
    store = RunStore(workspace)
    run_id = _finished(store, DANN, "lenet_bn", FAST)
    before = estimate(DANN, _pair(), workspace)
    path = store.folder(run_id) / RESULT_FILE
    result = json.loads(path.read_text(encoding="utf-8"))
    result["info"]["seconds_per_stage"] = SLOW  # slower stages: a longer estimate
    path.write_text(json.dumps(result), encoding="utf-8")
    after = estimate(DANN, _pair(), workspace)
    assert reads == [run_id, run_id]
    assert after.seconds == pytest.approx(before.seconds * 1.5)
