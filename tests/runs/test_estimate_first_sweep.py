"""A new user's first sweep (QA helper-142: after one inline run, 8 mlp trials read "about 10 s in all
(at most 15 s)" and took 2 min 9 s): a launched run's start counts though no launched run timed one
yet, and a trial whose seed's baseline the cache lacks trains it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs.test_estimate import _fake_measure, _finished, _pair
from tests.runs.test_estimate_overhead import _lasted
from tests.worker_start import landing_at_once
from tlcore.adapt.config import AdaptConfig
from tlcore.runs import estimate_start, probe
from tlcore.runs.estimate import Estimate, Workload, estimate
from tlcore.runs.estimate_batch import sweep_batch
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.run_files import LOG_FILE
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.workspace import Workspace

DANN = AdaptConfig("mnist5k", "digits", ("dann",), epochs=2, device="cpu")
STAGES = {"baseline": 1.0, "adapt": 1.0, "evaluate": 1.0}


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """A worker-like process's start of 9 s, measured in the workspace it is started for, at once."""
    calls: list[Path] = []

    def measure(workspace: Workspace) -> bool:
        calls.append(workspace.root)
        return landing_at_once(9.0)(workspace)

    monkeypatch.setattr(estimate_start, "measure_in_background", measure)
    monkeypatch.setattr(probe, "measure", _fake_measure([]))
    return calls


def test_a_launched_run_counts_a_workers_start_that_an_inline_run_never_timed(
    workspace: Workspace, started: list[Path]
) -> None:
    store = RunStore(workspace)
    _lasted(store, _finished(store, DANN, "mlp", STAGES), 3.0)  # inline: its span is its stages
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=1, device="cpu")
    inline = estimate(cfg, _pair(), workspace)
    launched = estimate(cfg, _pair(), workspace, launched=True)
    assert launched.seconds == pytest.approx(inline.seconds + 9.0)
    assert launched.at_most == pytest.approx(inline.at_most + 9.0)
    again = estimate(cfg, _pair(), workspace, launched=True)  # read back from cache/estimates
    assert again.seconds == launched.seconds and started == [workspace.root]


def test_finished_launched_runs_time_a_launched_runs_start(workspace: Workspace, started: list[Path]) -> None:
    store = RunStore(workspace)
    _lasted(store, _finished(store, DANN, "mlp", STAGES), 3.0)  # inline: 0 s outside its stages
    for outside in (5.0, 11.0):  # launched trials: their folders keep the worker's log
        run_id = _finished(store, DANN, "mlp", STAGES)
        (store.folder(run_id) / LOG_FILE).write_text("")
        _lasted(store, run_id, 3.0 + outside)
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=1, device="cpu")
    inline = estimate(cfg, _pair(), workspace)
    launched = estimate(cfg, _pair(), workspace, launched=True)
    assert launched.seconds == pytest.approx(inline.seconds + 8.0)  # median(5, 11)
    assert launched.at_most == pytest.approx(inline.at_most + 11.0)  # the slowest
    assert started == []  # no process started to time it


def test_a_trial_whose_seeds_baseline_is_not_cached_counts_its_training() -> None:
    """Seed 0's baseline in the cache, seed 1's not: the seed-1 source-only trial trains it (helper-142's
    sweep read 0.1 s for its 5.3 s baseline, asking seed 0's estimate for both)."""
    spec = SweepSpec("mnist5k", "digits", (("source_only",),), Space(parse_grid([])), seeds=(0, 1))
    work = Workload("mlp", (34,), None, "cpu", 32, 0, 0, 0, 100)

    def estimate_of(cfg: AdaptConfig, baseline_trained: bool) -> Estimate:
        cached = baseline_trained or cfg.seed == 0
        return Estimate(0.1 if cached else 6.0, 0.1 if cached else 8.0, "probe", 0, 4, work)

    batch = sweep_batch(spec, ExecutorSettings(max_concurrent=1), estimate_of)
    assert batch.runs == 2 and batch.total() == pytest.approx(6.1)
    assert batch.total(longest=True) == pytest.approx(8.1)
