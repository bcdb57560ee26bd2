"""An estimate's words: a sweep's line, one sentence of totals, its rates' sources per network, each
once (QA helper-132: the same runs' clause twice, a probe per composition, none saying whose); runs
sharing the cores; a short estimate."""

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


@pytest.mark.parametrize(
    ("threads", "total", "words"),
    [
        ("2", 20.0, "2 at a time, sharing 2 cores"),
        ("1", 10.0, "2 at a time:"),
        ("4", 20.0, "2 at a time, sharing 2 cores"),  # more threads than cores: one run's pace, not half
    ],
)
def test_runs_at_once_on_a_cpu_share_its_cores(
    monkeypatch: pytest.MonkeyPatch, threads: str, total: float, words: str
) -> None:
    """2 runs of 10 s at once on 2 cores: with 2 torch threads each they take 20 s (the old code: 10 s),
    with 1 thread each 10 s."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setenv("OMP_NUM_THREADS", threads)
    work = Workload("cnn", (1, 28, 28), None, "cpu", 32, 10, 0, 10, 100)
    batch = Batch(((Estimate(10.0, 12.0, "probe", 0, 4, work), 2),), 2)
    assert batch.total() == total and batch.total(longest=True) == 1.2 * total
    assert words in batch.text()


def test_a_short_estimate_says_under_5_s_and_one_step() -> None:
    """1.0 s read "about 5 s" while --json said 1.0 (QA: 0.0), and "1 steps"."""
    work = Workload("cnn", (1, 28, 28), None, "cpu", 32, 1, 0, 0, 100)
    found = Estimate(1.0, 4.0, "runs", 1, 1, work)
    assert found.text() == "under 5 s (at most 5 s; from 1 done run of cnn on cpu, 1 step)"
    assert Estimate(3.0, 4.0, "runs", 1, 2, work).text().startswith("about 5 s (at most 5 s; ")
