"""A sweep's estimate counts a baseline the workspace caches as its trials' for local trials only, at
the thread count they train on: a Ray trial trains in a scratch workspace of its node, whose cache
starts empty (helper-270: a Ray sweep at ``--cpus-per-trial 1`` beside the workspace's 1-thread
baseline was estimated without the baseline's steps; its trial trained them, ``baseline_cached``
False)."""

from __future__ import annotations

import pytest

from tests.runs.test_estimate import _cache_baseline, _fake_measure, _pair
from tlcore.cli.sweep import estimate
from tlcore.runs import probe
from tlcore.runs.executors import ExecutorKind, ExecutorSettings
from tlcore.runs.sweep import SweepSpec, expand
from tlcore.workspace import Workspace

DANN = SweepSpec("mnist5k", "digits", (("dann",),), seeds=(0,), budget={"epochs": 3, "device": "cpu"})
TRAINED = 3 * 10  # the baseline's steps: 3 epochs of 320 source samples / 32


@pytest.mark.parametrize(
    ("launch_threads", "kind", "cpus_per_trial", "baseline_steps"),
    [
        ("2", "local", 1, 0),  # a local trial trains on the launch's 2 threads: the cached one's
        ("1", "local", 1, TRAINED),  # on 1 thread: its own baseline
        ("2", "ray", 2, TRAINED),  # old: 0, the workspace's 2-thread baseline counted as the trial's
        ("1", "ray", 1, TRAINED),
        ("1", "ray", 2, TRAINED),
    ],
)
def test_a_ray_trial_trains_the_baseline_the_workspace_caches(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    *,
    launch_threads: str,
    kind: ExecutorKind,
    cpus_per_trial: int,
    baseline_steps: int,
) -> None:
    monkeypatch.setattr(probe, "measure", _fake_measure([]))
    monkeypatch.setenv("OMP_NUM_THREADS", launch_threads)  # what a local trial's worker inherits
    config = expand(DANN)[0].config
    assert config is not None
    _cache_baseline(workspace, config, evaluated_with_seed=0, threads=2)
    settings = ExecutorSettings(kind, cpus_per_trial=cpus_per_trial)
    batch = estimate(DANN, settings, workspace, {config.test_fraction: _pair()})
    [(found, runs)] = batch.parts
    assert runs == 1 and found.workload.baseline_steps == baseline_steps
    assert found.workload.models_evaluated == (1 if baseline_steps == 0 else 2)  # its evaluation too
