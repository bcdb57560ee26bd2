"""What the estimate times a run by (QA helper-123's findings, fixed by helper-124).

1. A network's finished runs time a run only on the same input shape: cnn runs on 28x28 digits timed
   a cnn run on 128x128 photos ("about 5 s (at most 5 s; from 2 finished runs of cnn") that took
   30.8 s; a 2-epoch digits run read "about 2 min" from photo runs and took 9.1 s.
2. A sweep is estimated from the trials its driver runs: a grid over the network
   (``--grid model=lenet_bn,cnn``) was estimated as ``auto`` (lenet_bn) for every trial ("about 20 s
   in all (at most 25 s)" for four trials that took 58 s).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import torch

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import RunPair
from tlcore.data.domain import Domain
from tlcore.runs import probe
from tlcore.runs.estimate import Estimate, estimate
from tlcore.runs.estimate_batch import sweep_batch
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.store import RunStore
from tlcore.runs.sweep import SweepSpec
from tlcore.workspace import Workspace


def _pair(shape: tuple[int, ...]) -> RunPair:
    def domain(n: int) -> Domain:
        return Domain("d", torch.zeros(n, *shape), torch.arange(n) % 2, ("a", "b"))

    return RunPair(domain(320), domain(80), domain(640), domain(160), domain(800))


def _finished_cnn_on_digits(store: RunStore) -> None:
    """A done cnn run on 1x28x28 images: 0.1 s a source step, 0.2 s a paired step."""
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=2, model="cnn", device="cpu")
    run_id = store.create(cfg)
    assert store.start(run_id, os.getpid())
    history = [{"stage": s, "epoch": float(e)} for s in ("baseline", "adapt") for e in (1, 2)]
    info = {
        "baseline_cached": False,
        "model": {"name": "cnn", "input_shape": [1, 28, 28], "options": {}},
        "n_source_train": 320,
        "n_target_train": 640,
        "n_target_test": 160,
        "seconds_per_stage": {"baseline": 2.0, "adapt": 8.0, "evaluate": 2.24},
    }
    assert store.finish(run_id, {"config": cfg.to_dict(), "history": history, "info": info})


def test_runs_of_another_input_size_do_not_time_a_run(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        probe, "measure", lambda *_: {"single": [0.1, 0.2], "paired": [0.3, 0.5], "forward_per_sample": 0.001}
    )
    _finished_cnn_on_digits(RunStore(workspace))
    cfg = AdaptConfig("upload:a.zip", "upload:b.zip", ("dann",), epochs=2, model="cnn", device="cpu")
    photos = estimate(cfg, _pair((3, 128, 128)), workspace)
    assert photos.source == "probe"  # 3x128x128 photos, not the stored run's 1x28x28 digits


def test_a_sweep_over_networks_is_estimated_per_network() -> None:
    spec = SweepSpec("mnist5k", "digits", (("dann",),), Space(parse_grid(["model=lenet_bn,cnn"])))
    asked: list[str] = []

    def estimate_of(cfg: AdaptConfig, baseline_trained: bool) -> Any:
        asked.append(cfg.model)
        return Estimate.__new__(Estimate)

    sweep_batch(spec, ExecutorSettings(max_concurrent=1), estimate_of)
    assert sorted(asked) == ["cnn", "lenet_bn"]  # asked: ["auto"], once for both trials
