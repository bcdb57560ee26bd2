"""A Ray sweep's estimate shares the CPUs as its executor does: ``cpus_per_trial`` torch threads a trial,
as many trials at once as fit on the cluster's CPUs (the embedded cluster's: this machine's), not a
local run's thread count and run slots; an existing cluster's CPUs, unknown before connecting, are
counted as this machine's and the text says so. Ray is never started."""

from __future__ import annotations

import os
from typing import Any

import pytest
import torch

from tests.runs.test_estimate import _fake_measure, _pair
from tlcore.adapt.config import AdaptConfig
from tlcore.cli.sweep import estimate
from tlcore.runs import probe
from tlcore.runs.estimate import Estimate, Workload
from tlcore.runs.estimate_batch import executor_share, sweep_batch
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.sweep import SweepSpec
from tlcore.workspace import Workspace

SPEC = SweepSpec("mnist5k", "digits", (("dann",),), seeds=(0, 1, 2, 3))  # 4 trials
WORK = Workload("cnn", (1, 28, 28), None, "cpu", 32, 10, 0, 10, 100)


def ten_seconds(cfg: AdaptConfig, baseline_trained: bool) -> Estimate:
    return Estimate(10.0, 12.0, "probe", 0, 4, WORK)


@pytest.fixture(autouse=True)
def eight_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """8 cores, 4 run slots, a launched local run on 1 torch thread."""
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setenv("TLSTUDIO_MAX_RUNNING", "4")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.mark.parametrize(
    ("settings", "share", "total"),
    [
        # local: the run slots at once, on a launched run's 1 thread: 4 x 10 s in 10 s
        (ExecutorSettings(), (4, 1, 8, ""), 10.0),
        # embedded Ray, 4 CPUs a trial: 8 // 4 = 2 trials at once (old: 4, on 1 thread each: 10 s)
        (ExecutorSettings("ray", cpus_per_trial=4), (2, 4, 8, ""), 20.0),
        # 3 CPUs a trial: 2 fit; asked for 4 at once, 8 / 3 cores' worth of work goes on
        (ExecutorSettings("ray", max_concurrent=4, cpus_per_trial=3), (4, 3, 8, ""), 15.0),
        # 16 CPUs a trial on 8: one at a time, never slower than one trial alone
        (ExecutorSettings("ray", cpus_per_trial=16), (1, 16, 8, ""), 40.0),
    ],
)
def test_a_sweeps_trials_share_the_cpus_as_its_executor_runs_them(
    settings: ExecutorSettings, share: tuple[int, int, int, str], total: float
) -> None:
    assert tuple(executor_share(settings)) == share
    batch = sweep_batch(SPEC, settings, ten_seconds)
    assert batch.runs == 4 and batch.total() == pytest.approx(total)
    assert batch.to_dict()["threads"] == share[1]


def test_an_existing_clusters_cpus_are_said_to_be_assumed() -> None:
    settings = ExecutorSettings("ray", "10.0.0.5:6379", cpus_per_trial=2)
    assumed = "the cluster's CPUs, not known before connecting, counted as this machine's 8"
    assert executor_share(settings) == (4, 2, 8, assumed)  # no run slots: 8 // 2 at once
    batch = sweep_batch(SPEC, settings, ten_seconds)
    assert batch.total() == pytest.approx(10.0)
    assert batch.text().startswith(f"4 runs, 4 at a time ({assumed}): about 10 s in all")


def test_ray_capacity_is_the_executors_count() -> None:
    """The estimate's trials at once are what :meth:`RayExecutor.capacity` hands over on those CPUs."""
    assert ExecutorSettings("ray", cpus_per_trial=2).ray_capacity(16, 3) == 3  # the run slots
    assert ExecutorSettings("ray", cpus_per_trial=2).ray_capacity(16, None) == 8  # a cluster's own
    assert ExecutorSettings("ray", cpus_per_trial=32).ray_capacity(16, None) == 1
    assert ExecutorSettings("ray", max_concurrent=5, cpus_per_trial=2).ray_capacity(4, 1) == 5


@pytest.mark.parametrize(
    ("settings", "threads"), [(ExecutorSettings(), 1), (ExecutorSettings("ray", cpus_per_trial=2), 2)]
)
def test_a_trials_steps_are_probed_on_its_threads(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, settings: ExecutorSettings, threads: int
) -> None:
    """A Ray trial trains on ``cpus_per_trial`` torch threads (its worker's OMP_NUM_THREADS), whatever a
    local run's count: the probe times its steps on as many (old: the launched local run's 1)."""
    seen: list[int] = []
    measure = _fake_measure([])

    def counting(*args: Any) -> Any:
        seen.append(torch.get_num_threads())
        return measure(*args)

    monkeypatch.setattr(probe, "measure", counting)
    before = torch.get_num_threads()
    spec = SweepSpec("mnist5k", "digits", (("dann",),), seeds=(0,), budget={"epochs": 3, "device": "cpu"})
    estimate(spec, settings, workspace, {AdaptConfig.defaults()["test_fraction"]: _pair()})
    assert seen == [threads] and torch.get_num_threads() == before
