"""A fresh workspace's first estimate of a launched run does not wait for a worker-like process's start
(helper-261: the Adapt page said "Estimating…" for ~20 s, its buttons waited too): that process runs in
the background, at most one per workspace and code version, and until its measurement lands the
estimate leaves the start out and says so."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.runs.test_estimate import _fake_measure, _pair
from tlcore.adapt.config import AdaptConfig
from tlcore.cache_files import code_version, read_entry
from tlcore.runs import estimate_start, jobs, probe
from tlcore.runs.estimate import estimate
from tlcore.runs.estimate_batch import Batch
from tlcore.runs.estimate_start import MEASURING_STALE_SECONDS, START_KEY, record_start, start_seconds
from tlcore.workspace import Workspace

REAL_MEASURE = estimate_start.measure_in_background  # the autouse stand-in (tests/conftest.py) replaces it
CFG = AdaptConfig("mnist5k", "digits", ("dann",), epochs=1, device="cpu")
NOT_COUNTED = "; a worker's start not counted, not measured yet)"


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The module arguments of each worker-like process started (none is: the measurement never lands),
    and ``["probe"]`` for each probe of the network (a stand-in's)."""
    calls: list[list[str]] = []

    def start_detached(args: list[str], log: Path, cwd: Path) -> None:
        calls.append(args)

    monkeypatch.setattr(estimate_start, "measure_in_background", REAL_MEASURE)
    monkeypatch.setattr(jobs, "start_detached", start_detached)
    probe_measure = _fake_measure([])

    def measure(*args: Any) -> Any:
        calls.append(["probe"])
        return probe_measure(*args)

    monkeypatch.setattr(probe, "measure", measure)
    return calls


def test_an_unmeasured_start_is_left_out_and_said(workspace: Workspace, spawned: list[list[str]]) -> None:
    pending = estimate(CFG, _pair(), workspace, launched=True)
    assert spawned[0] == ["probe"]  # then the measurement: they share no core
    del spawned[0]
    inline = estimate(CFG, _pair(), workspace)
    assert (pending.seconds, pending.at_most) == (inline.seconds, inline.at_most)
    assert pending.start_pending and pending.text().endswith(f"lenet_bn on cpu{NOT_COUNTED}")
    assert pending.to_dict()["start_pending"] is True
    assert len(spawned) == 1 and spawned[0][:2] == ["tlcore.runs.estimate_start", str(workspace.root)]
    batch = Batch(((pending, 3), (inline, 1)), 1)  # one unmeasured part: the sweep's sentence says so
    assert batch.text().endswith(f"rates of lenet_bn on cpu from a probe{NOT_COUNTED}")
    record_start(workspace, 9.0)  # the measurement lands
    counted = estimate(CFG, _pair(), workspace, launched=True)
    assert counted.seconds == pytest.approx(inline.seconds + 9.0) and not counted.start_pending
    assert counted.text().endswith("; from a probe of 4 steps of lenet_bn on cpu, cached)")
    assert len(spawned) == 1  # measured once


def test_one_measurement_at_a_time_until_its_lock_is_stale(
    workspace: Workspace, spawned: list[list[str]]
) -> None:
    assert start_seconds(workspace) is None and start_seconds(workspace) is None
    assert len(spawned) == 1  # the second found the first under way
    (lock,) = workspace.inside("cache", "estimates").glob(f".{START_KEY}-*.measuring")
    old = time.time() - MEASURING_STALE_SECONDS - 1
    os.utime(lock, (old, old))  # its process was killed: the next estimate starts another
    assert start_seconds(workspace) is None and len(spawned) == 2
    record_start(workspace, 6.5)
    assert not lock.exists() and start_seconds(workspace) == 6.5 and len(spawned) == 2


def test_the_background_process_times_itself_and_lands(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real worker-like process (torch, the pipeline, umap-learn, a step: seconds): the call that
    starts it returns at once, and the process keeps its wall time since it was started."""
    monkeypatch.setattr(estimate_start, "measure_in_background", REAL_MEASURE)
    began = time.time()
    assert start_seconds(workspace) is None
    returned = time.time() - began
    entry = workspace.inside("cache", "estimates", f"{START_KEY}.pkl")
    while (body := read_entry(entry, code_version())) is None and time.time() - began < 300:
        time.sleep(0.2)
    landed = time.time() - began
    assert body is not None and returned < 1.0 < landed
    assert returned < float(body) <= landed  # its start, imports and step: no more than it took to land
    assert not list(entry.parent.glob("*.measuring"))
