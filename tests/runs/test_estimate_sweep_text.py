"""A sweep's estimate line: one sentence of totals, its rates' sources per network, each once (QA
helper-132: the same runs' clause twice, a probe per composition, none saying whose)."""

from __future__ import annotations

import os

import pytest

from tlcore.runs.estimate import Estimate, Workload
from tlcore.runs.estimate_batch import Batch

LENET = Workload("lenet_bn", (1, 28, 28), None, "cpu", 32, 5, 0, 5, 100)
CNN = Workload("cnn", (1, 28, 28), None, "cpu", 32, 5, 0, 5, 100)
NOTE = "steps on a source + target batch pair timed by a probe of fixmatch+adabn's own, scaled to ..."


def test_a_sweeps_line_groups_its_sources_per_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    parts = (
        (Estimate(5.0, 8.0, "runs", 15, 75, LENET), 2),  # source_only
        (Estimate(4.0, 6.0, "probe", 0, 4, CNN), 2),
        (Estimate(3.0, 5.0, "probe", 0, 4, LENET, cached_probe=True), 1),
        (Estimate(5.0, 8.0, "runs", 15, 75, LENET), 1),  # dann, its baseline trained by a run before
        (Estimate(6.0, 9.0, "runs", 15, 75, LENET, paired_note=NOTE), 2),  # fixmatch+adabn
    )
    batch = Batch(parts, 2)
    # (10 + 8 + 3 + 5 + 12) s of work, 2 at a time on 2 cores of 1 thread a run: 19 s (at most 29.5 s)
    assert batch.text() == (
        "8 runs, 2 at a time: about 20 s in all (at most 30 s; rates of lenet_bn on cpu from 15 done "
        "runs and a probe, of cnn on cpu from a probe)"
    )
    said = batch.to_dict()["parts"]
    assert [p["origin"] for p in said][4].endswith(NOTE)  # each part's full words stay in --json
    assert said[1]["origin"] == "from a probe of 4 steps of cnn on cpu"


def test_parts_resting_on_different_runs_say_their_count_once_as_a_range() -> None:
    """QA helper-142: "from 9 finished runs and 7 finished runs and 5 finished runs" (each composition's
    paired steps read its own runs, so the parts rest on different numbers of the network's runs)."""
    parts = (
        (Estimate(5.0, 8.0, "runs", 9, 75, LENET), 2),
        (Estimate(5.0, 8.0, "runs", 7, 60, LENET), 2),
        (Estimate(5.0, 8.0, "runs", 5, 45, LENET, paired_note=NOTE), 2),
        (Estimate(4.0, 6.0, "probe", 0, 4, CNN), 2),
    )
    assert Batch(parts, 1).sources() == (
        "rates of lenet_bn on cpu from 5-9 done runs and a probe, of cnn on cpu from a probe"
    )
