"""The time estimate before a launch (:mod:`tlcore.runs.estimate`, :mod:`tlcore.runs.probe`): the
per-step arithmetic from stored runs, the probe cached, ``adapt``'s line and ``adapt --estimate``."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pytest
import torch

from tests.worker_start import landing_at_once
from tlcore.adapt.cache import BaselineCache, CachedBaseline, baseline_key
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.evaluate import ModelEvaluation, evaluation_settings
from tlcore.adapt.pair import RunPair
from tlcore.adapt.stages import network
from tlcore.cli import main
from tlcore.data.domain import Domain
from tlcore.limits import Limits
from tlcore.runs import jobs, probe
from tlcore.runs.estimate import Estimate, Workload, baseline_in_cache, estimate, plan
from tlcore.runs.estimate_batch import baselines_trained, sweep_batch
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.slots import run_threads
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.selection.scores import ValidatorScores
from tlcore.workspace import Workspace


def _domain(n: int, labelled: bool = True) -> Domain:
    y = torch.arange(n) % 2 if labelled else None
    return Domain("d", torch.zeros(n, 1, 28, 28), y, ("a", "b"))


def _pair(n_s: int = 320, n_t: int = 640, n_test: int = 160) -> RunPair:
    target = _domain(n_t + n_test)
    return RunPair(_domain(n_s), _domain(80), _domain(n_t), _domain(n_test), target)


def _finished(store: RunStore, cfg: AdaptConfig, model: str, seconds: dict[str, float]) -> str:
    """A done run of ``cfg`` on 320 source / 640 + 160 target samples that trained ``seconds`` a stage."""
    run_id = store.create(cfg)
    assert store.start(run_id, os.getpid())
    history = [
        {"stage": s, "epoch": float(e)} for s in ("baseline", "adapt") for e in range(1, cfg.epochs + 1)
    ]
    info = {
        "baseline_cached": False,
        "model": {"name": model, "input_shape": [1, 28, 28], "options": {}},
        "n_source_train": 320,
        "n_target_train": 640,
        "n_target_test": 160,
        "seconds_per_stage": seconds,
    }
    assert store.finish(run_id, {"config": cfg.to_dict(), "history": history, "info": info})
    return run_id


FAST = {"baseline": 2.0, "adapt": 8.0, "evaluate": 2.24}  # 20 steps: 0.1 s; 40 steps: 0.2 s; 1120: 2 ms
SLOW = {"baseline": 3.0, "adapt": 12.0, "evaluate": 3.36}  # 0.15 s, 0.3 s, 3 ms


@pytest.fixture
def timed(workspace: Workspace) -> Workspace:
    """Two finished dann runs of lenet_bn at batch 32 (2 epochs: 10 source steps, 20 paired a epoch),
    and two that must not count: another network, another batch size."""
    store = RunStore(workspace)
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=2, device="cpu")
    _finished(store, cfg, "lenet_bn", FAST)
    _finished(store, cfg, "lenet_bn", SLOW)
    _finished(store, cfg, "mlp", {"baseline": 99.0, "adapt": 99.0, "evaluate": 99.0})
    _finished(store, AdaptConfig("mnist5k", "digits", ("dann",), epochs=2, batch_size=64), "lenet_bn", SLOW)
    return workspace


def test_plan_counts_the_loops_steps() -> None:
    cfg = AdaptConfig("a", "b", ("dann",), epochs=3, adapt_epochs=4, device="cpu")
    work = plan(cfg, _pair())
    assert (work.model, work.baseline_steps, work.paired_steps, work.n_evaluated) == (
        "lenet_bn",
        30,
        80,
        1120,
    )
    assert plan(cfg, _pair(), baseline_cached=True).baseline_steps == 0
    capped = plan(AdaptConfig("a", "b", ("source_only",), epochs=3, steps_per_epoch=7), _pair())
    assert (capped.baseline_steps, capped.paired_steps) == (21, 0)
    finetune = plan(AdaptConfig("a", "b", ("finetune",), epochs=2), _pair())  # its own count: n_s / B
    assert (finetune.single_steps, finetune.paired_steps) == (20, 0)


def test_estimate_from_stored_runs_seconds_per_step(timed: Workspace) -> None:
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=3, device="cpu")
    found = estimate(cfg, _pair(), timed)
    # 30 source steps * the fastest run's 0.1 s + 60 paired * 0.2 s + 1120 samples * 2 ms (the median's
    # 0.125 s, 0.25 s, 2.5 ms read 21.55 s: a run slowed by a busy machine counts only in the slowest);
    # slowest: 0.15, 0.3, 3 ms
    assert found.source == "runs" and (found.n_runs, found.n_steps) == (2, 120)
    assert found.seconds == pytest.approx(30 * 0.1 + 60 * 0.2 + 1120 * 0.002)  # 17.24
    assert found.at_most == pytest.approx(30 * 0.15 + 60 * 0.3 + 1120 * 0.003)  # 25.86
    assert found.text() == "about 15 s (at most 30 s; from 2 done runs of lenet_bn on cpu, 120 steps)"


def _cache_baseline(
    workspace: Workspace, cfg: AdaptConfig, evaluated_with_seed: int | None, threads: int | None = None
) -> None:
    """Put ``cfg``'s baseline trained on ``threads`` torch threads (default: a launch's) in the
    workspace's cache, with an evaluation made with the settings of ``evaluated_with_seed`` (None: none)."""
    threads = threads or run_threads(Limits.from_env("max_running").max_running)
    before = None
    if evaluated_with_seed is not None:
        scores = ValidatorScores(0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 80, 640)
        evaluation = ModelEvaluation({"target": None}, scores, np.full((640, 2), 0.5, dtype=np.float32))
        before = evaluation.to_cache(evaluation_settings(evaluated_with_seed))
    model = network(cfg, (1, 28, 28), 2)
    BaselineCache.of_workspace(workspace).put(
        baseline_key(cfg, "cpu", threads), CachedBaseline(model, [], "done", "", before, threads)
    )


def test_a_cached_baselines_evaluation_is_not_counted_again(timed: Workspace) -> None:
    """QA: a source_only run of a cached baseline read "about 1 min" (70 s) and took 1.5 s: it trains
    and evaluates nothing. Rates are per evaluated model: the two stored dann runs evaluated two each
    (1 and 1.5 ms a sample and model)."""
    only = AdaptConfig("mnist5k", "digits", ("source_only",), epochs=3, device="cpu")
    dann = AdaptConfig("mnist5k", "digits", ("dann",), epochs=3, device="cpu")
    _cache_baseline(timed, only, evaluated_with_seed=0)
    found = estimate(only, _pair(), timed)
    assert (found.workload.baseline_steps, found.workload.models_evaluated) == (0, 0)
    assert found.seconds == found.at_most == 0.0
    after = estimate(dann, _pair(), timed)  # the adapted model only: 60 paired steps + 1120 samples once
    assert after.workload.models_evaluated == 1
    assert after.seconds == pytest.approx(60 * 0.2 + 1120 * 0.001)
    assert after.at_most == pytest.approx(60 * 0.3 + 1120 * 0.0015)
    _cache_baseline(timed, only, evaluated_with_seed=1)  # evaluated with another seed's settings: again
    again = estimate(only, _pair(), timed)
    assert again.workload.models_evaluated == 1 and again.seconds == pytest.approx(1120 * 0.001)


def test_a_baseline_counts_as_cached_only_at_the_thread_count_a_launch_trains_on(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helper-265: the estimate counted a baseline cached on 2 threads as this run's, while a launch on
    1 thread trains its own (another count sums in another order): it left the baseline's steps out."""
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=3, device="cpu")
    _cache_baseline(workspace, cfg, evaluated_with_seed=0, threads=2)
    for threads, cached, steps in (("1", False, 3 * 10), ("2", True, 0)):  # 3 epochs of 320 / 32
        monkeypatch.setenv("OMP_NUM_THREADS", threads)  # what a launch's worker inherits (run_threads)
        assert baseline_in_cache(cfg, workspace) == (cached, cached)  # old: (True, True) on 1 thread
        assert plan(cfg, _pair(), *baseline_in_cache(cfg, workspace)).baseline_steps == steps


def test_a_stored_run_that_evaluated_one_model_counts_its_evaluation_once(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source_only run evaluates its baseline alone: its evaluation seconds are one model's."""
    monkeypatch.setattr(probe, "measure", _fake_measure([]))
    store = RunStore(workspace)
    cfg = AdaptConfig("mnist5k", "digits", ("source_only",), epochs=2, device="cpu")
    _finished(store, cfg, "lenet_bn", {"baseline": 2.0, "adapt": 0.0, "evaluate": 2.24})  # 2 ms a sample
    dann = AdaptConfig("mnist5k", "digits", ("dann",), epochs=3, device="cpu")
    found = estimate(dann, _pair(), workspace)  # 30 source steps of 0.1 s, 60 paired of 0.3 s, 2 models
    assert found.seconds == pytest.approx(30 * 0.1 + 60 * 0.3 + 2 * 1120 * 0.002)


def test_paired_steps_no_run_of_the_composition_timed_are_probed_with_its_own_terms(
    timed: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FixMatch's strong view (a third batch in the forward pass) cost 1.5-1.8 times a DANN step (QA
    helper-123), yet the workspace's dann runs timed its paired steps (the old code: 21.55 s, as
    dann's). A probe of its own terms, scaled to those runs by a probe of dann's, times them; the line
    says so. Without a run that trained a pair, the runs' single steps scale it (the old code: two of
    them a paired step)."""
    calls: list[Any] = []
    monkeypatch.setattr(probe, "measure", _fake_measure(calls, {("fixmatch",): [0.6, 0.8]}))
    fixmatch = AdaptConfig("mnist5k", "digits", ("fixmatch",), epochs=3, device="cpu")
    found = estimate(fixmatch, _pair(), timed)
    # the dann runs' paired steps over dann's probe (0.3 s): 0.2 / 0.3 and 0.3 / 0.3, median 0.833, times
    # fixmatch's probe, 0.6 s: 0.5 s; the slowest 1.0 * 0.8 s
    assert found.seconds == pytest.approx(30 * 0.1 + 60 * 0.5 + 1120 * 0.002)  # 35.24
    assert found.at_most == pytest.approx(30 * 0.15 + 60 * 0.8 + 1120 * 0.003)
    assert found.text().endswith(
        "120 steps; steps on a source + target batch pair timed by a probe of fixmatch's own, scaled to "
        "runs of other compositions here: dann)"
    )
    assert sorted(args[0].methods for args in calls) == [("dann",), ("fixmatch",)]
    same = estimate(AdaptConfig("mnist5k", "digits", ("dann",), epochs=3, device="cpu"), _pair(), timed)
    only = estimate(
        AdaptConfig("mnist5k", "digits", ("source_only",), epochs=3, device="cpu"), _pair(), timed
    )
    assert same.paired_note == only.paired_note == "" and len(calls) == 2  # runs of its own: no probe
    assert same.seconds == pytest.approx(17.24)
    store = RunStore(timed)
    for record in store.list():  # only a source_only run left: no run timed a paired step
        store.delete(record.id)
    _finished(
        store, AdaptConfig("mnist5k", "digits", ("source_only",), epochs=2, device="cpu"), "lenet_bn", FAST
    )
    guessed = estimate(fixmatch, _pair(), timed)
    assert guessed.paired_note == (
        "steps on a source + target batch pair timed by a probe of fixmatch's own, scaled to the single "
        "steps of runs here (none trained a pair)"
    )
    # the run's single step (0.1 s) over the probe's (0.1 s), times fixmatch's probe: 0.6 s, not 2 * 0.1;
    # its evaluation, of one model, 2 ms a sample
    assert guessed.seconds == pytest.approx(30 * 0.1 + 60 * 0.6 + 2 * 1120 * 0.002)  # the old code: 19.48


def _fake_measure(calls: list[Any], paired: dict[tuple[str, ...], list[float]] | None = None) -> Any:
    """A probe of 0.1 and 0.2 s single steps, 0.3 and 0.5 s paired ones (``paired``: another's, by the
    config's methods) and 1 ms a sample's forward pass."""

    def measure(*args: Any) -> dict[str, Any]:
        calls.append(args)
        steps = (paired or {}).get(args[0].methods, [0.3, 0.5])
        return {"single": [0.1, 0.2], "paired": steps, "forward_per_sample": 0.001}

    return measure


def test_probe_is_cached_in_the_workspace(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(probe, "measure", _fake_measure(calls))
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=1, device="cpu")
    first = estimate(cfg, _pair(), workspace)  # no finished run: probed
    second = estimate(cfg, _pair(), workspace)  # read back, not probed again
    assert len(calls) == 1 and (first.cached_probe, second.cached_probe) == (False, True)
    # 10 source steps * 0.1 s + 20 paired * 0.3 s + 1120 samples * 6 passes * 1 ms + 3 s, and 2 epochs
    # scoring 80 + 160 samples * 1 ms; slowest steps 0.2 and 0.5 s
    assert first.seconds == second.seconds == pytest.approx(1.0 + 6.0 + 6.72 + 3.0 + 0.48)
    assert second.at_most == pytest.approx(2.0 + 10.0 + 6.72 + 3.0 + 0.48)
    assert second.source == "probe" and second.n_steps == 4
    assert second.text().endswith("; from a probe of 4 steps of lenet_bn on cpu, cached)")
    assert len(list(workspace.inside("cache", "estimates").glob("*.pkl"))) == 1
    estimate(AdaptConfig("mnist5k", "digits", ("dann",), batch_size=16, device="cpu"), _pair(), workspace)
    assert len(calls) == 2  # another batch size: probed


def test_probe_batches_hold_at_most_the_larger_training_split(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--batch-size 10000000000 trains on batches of the larger split (640 here): the probe times those,
    not 2e10 synthetic images (62 TB: a traceback)."""
    calls: list[Any] = []
    monkeypatch.setattr(probe, "measure", _fake_measure(calls))
    for batch in (10**10, 16):
        estimate(AdaptConfig("a", "b", ("dann",), batch_size=batch, device="cpu"), _pair(), workspace)
    assert [args[0].batch_size for args in calls] == [640, 16]


@pytest.mark.parametrize("lr", [1e-3, 1e12])  # 1e12 blows a real run up; its estimate still comes first
def test_probe_measures_the_real_network(lr: float) -> None:
    times = probe.measure(AdaptConfig("a", "b", batch_size=4, lr=lr), (1, 28, 28), 3, torch.device("cpu"))
    assert len(times["single"]) == len(times["paired"]) == probe.PROBE_STEPS
    assert all(t > 0 for t in [*times["single"], *times["paired"], times["forward_per_sample"]])


def _cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_adapt_estimate_prints_and_exits_without_a_run(
    timed: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("adapt", "--source", "mnist5k:n=200", "--target", "digits:n=300", "--method", "dann")
    code, out, err = _cli(timed, capsys, *args, "--epochs", "3", "--device", "cpu", "--estimate")
    assert code == 0, err
    # 160 source, 240 target train samples: 3 * 5 source steps, 3 * 7 paired, 460 evaluated: 6.6 s, <= 9.9
    assert out.startswith("estimated: about 5 s (at most 10 s; from 2 done runs of lenet_bn on cpu")
    code, out, err = _cli(timed, capsys, *args, "--epochs", "3", "--device", "cpu", "--estimate", "--json")
    found = json.loads(out)["estimate"]
    assert code == 0 and found["source"] == "runs" and found["n_runs"] == 2
    assert found["workload"]["baseline_steps"] == 15 and found["workload"]["paired_steps"] == 21
    assert found["seconds"] == pytest.approx(15 * 0.1 + 21 * 0.2 + 460 * 0.002)
    assert RunStore(timed).count() == 4  # the four stored ones: no run written


def test_adapt_detach_json_says_the_estimate(
    timed: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the inline run's ``--json`` summary does (it was left out of the detached run's), with the start
    of its worker process (no run here was launched: a worker-like process's, 5 s here)."""
    monkeypatch.setattr("tlcore.runs.jobs.DEFAULT_WORKER", "fake_workers:quick")
    monkeypatch.setattr("tlcore.runs.estimate_start.measure_in_background", landing_at_once(5.0))
    args = ("adapt", "--source", "mnist5k:n=200", "--target", "digits:n=300", "--method", "dann")
    code, out, err = _cli(timed, capsys, *args, "--epochs", "3", "--device", "cpu", "--detach", "--json")
    assert code == 0, err
    started = json.loads(out)
    assert started["estimate"]["source"] == "runs" and started["estimate"]["n_runs"] == 2
    assert started["estimate"]["seconds"] == pytest.approx(15 * 0.1 + 21 * 0.2 + 460 * 0.002 + 5.0)
    assert jobs.wait(timed, started["run_id"], timeout=60).status == "done"


def test_adapt_prints_the_estimate_before_training(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tlcore.runs.jobs.DEFAULT_WORKER", "fake_workers:quick")
    monkeypatch.setattr(probe, "measure", _fake_measure([]))
    code, out, err = _cli(workspace, capsys, "adapt", "--source", "mnist5k:n=200", "--target", "digits:n=300")
    assert code == 0, err
    first, *rest = out.splitlines()
    assert first.startswith("estimated: about ") and "from a probe of 4 steps of lenet_bn" in first
    assert rest[0].startswith("run ") and " done: " in rest[0]


def test_runs_one_at_a_time_train_a_shared_baseline_once() -> None:
    """The Adapt page's separate runs and a sweep's trials: one at a time, a run after another of the
    same network, seed and budget finds its baseline cached; another seed or epochs train their own."""
    runs = [
        AdaptConfig("mnist5k", "digits", ("dann",), seed=0),
        AdaptConfig("mnist5k", "digits", ("im",), seed=0, params={}),
        AdaptConfig("mnist5k", "digits", ("dann",), seed=1),
        AdaptConfig("mnist5k", "digits", ("dann",), seed=0, epochs=3),
        AdaptConfig("mnist5k", "digits", ("deep_coral", "im"), seed=1),
    ]
    assert baselines_trained(runs, 1) == [False, True, False, False, True]
    assert baselines_trained(runs, 2) == [False] * 5  # at once, each may train it


@pytest.mark.parametrize("at_once", [1, 2])
def test_a_sweep_is_estimated_from_its_real_trials_one_estimate_per_workload(at_once: int) -> None:
    """dann: 2 networks x 2 weights x 2 seeds, deep_coral: 2 networks x 2 seeds = 12 trials; one
    estimate per composition and network (a weight changes no workload) and, one trial at a time, per
    baseline trained by an earlier trial or not: 4 baselines (network x seed), the first trial of each
    trains it (helper-124: a fresh sweep read about 2 min for 77 s, every trial counting its
    baseline); at once, each trial may train it. An untrained baseline is asked per seed (the cache may
    hold one seed's: QA helper-142)."""
    grid = parse_grid(["model=lenet_bn,cnn", "dann.weight=0.1,0.3"])
    spec = SweepSpec("mnist5k", "digits", (("dann",), ("deep_coral",)), Space(grid), seeds=(0, 1))
    asked: list[tuple[str, str, int, bool]] = []

    def estimate_of(cfg: AdaptConfig, baseline_trained: bool) -> Estimate:
        asked.append((cfg.methods[0], cfg.model, cfg.seed, baseline_trained))
        work = Workload(cfg.model, (1, 28, 28), None, "cpu", 32, 10, 0, 10, 100)
        seconds = (10.0 if cfg.model == "cnn" else 2.0) + (0 if baseline_trained else 5.0)
        return Estimate(seconds, 12.0, "probe", 0, 4, work)

    batch = sweep_batch(spec, ExecutorSettings(max_concurrent=at_once), estimate_of)
    assert batch.runs == 12
    if at_once == 2:
        assert sorted(asked) == [
            (m, n, s, False) for m in ("dann", "deep_coral") for n in ("cnn", "lenet_bn") for s in (0, 1)
        ]
        assert [n for _, n in batch.parts] == [2, 2, 2, 2, 1, 1, 1, 1]
        assert batch.total() * batch.parallel == 12 * 5.0 + 6 * 2.0 + 6 * 10.0  # every trial trains one
        return
    assert sorted(asked) == [  # a trained baseline's trials asked once, with the first trial's seed
        ("dann", "cnn", 0, False),
        ("dann", "cnn", 0, True),
        ("dann", "cnn", 1, False),
        ("dann", "lenet_bn", 0, False),
        ("dann", "lenet_bn", 0, True),
        ("dann", "lenet_bn", 1, False),
        ("deep_coral", "cnn", 0, True),
        ("deep_coral", "lenet_bn", 0, True),
    ]
    assert sorted(n for _, n in batch.parts) == [1, 1, 1, 1, 2, 2, 2, 2]
    assert batch.total() == 4 * 5.0 + 6 * 2.0 + 6 * 10.0  # 4 baselines, not 12


def test_a_run_of_too_few_steps_is_not_preferred_over_the_probe(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: one finished run of 1 step timed a run at 35 s that took 18 s: a step of it carries its
    epoch's scoring. A 1-step run: probed; runs of 20 timed steps in all: theirs."""
    calls: list[Any] = []
    monkeypatch.setattr(probe, "measure", _fake_measure(calls))
    store = RunStore(workspace)
    one = AdaptConfig("mnist5k", "digits", ("source_only",), epochs=1, steps_per_epoch=1, device="cpu")
    _finished(store, one, "lenet_bn", {"baseline": 5.0, "evaluate": 2.24})
    cfg = AdaptConfig("mnist5k", "digits", ("source_only",), epochs=2, device="cpu")
    assert estimate(cfg, _pair(), workspace).source == "probe" and len(calls) == 1
    _finished(
        store, AdaptConfig("mnist5k", "digits", ("source_only",), epochs=2, device="cpu"), "lenet_bn", FAST
    )
    found = estimate(cfg, _pair(), workspace)  # 1 + 20 steps
    assert (found.source, found.n_runs, found.n_steps) == ("runs", 2, 21)
