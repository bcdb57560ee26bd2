"""A run costs more than its stages: its worker's start and imports, the data's loading, the result's
writing. The estimate counts each finished run's ``(updated - created) - sum(seconds_per_stage)``
(QA helper-132: a sweep said "about 25 s (at most 40 s)" and took 67 s; its trials' stages summed to
27 s)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runs.test_estimate import FAST, SLOW, _fake_measure, _finished, _pair
from tlcore.adapt.config import AdaptConfig
from tlcore.runs import probe
from tlcore.runs.estimate import estimate
from tlcore.runs.store import RunStore
from tlcore.workspace import Workspace

DANN = AdaptConfig("mnist5k", "digits", ("dann",), epochs=2, device="cpu")


def _lasted(store: RunStore, run_id: str, seconds: float) -> None:
    """Make the run's record span ``seconds`` from its creation to its end."""
    with store.connect() as conn:
        conn.execute("UPDATE runs SET created = 1000.0, updated = ? WHERE id = ?", (1000.0 + seconds, run_id))


def test_a_runs_seconds_outside_its_stages_count(workspace: Workspace) -> None:
    store = RunStore(workspace)
    _lasted(store, _finished(store, DANN, "lenet_bn", FAST), sum(FAST.values()) + 4.0)  # 4 s outside
    _lasted(store, _finished(store, DANN, "lenet_bn", SLOW), sum(SLOW.values()) + 10.0)  # 10 s outside
    found = estimate(AdaptConfig("mnist5k", "digits", ("dann",), epochs=3, device="cpu"), _pair(), workspace)
    # the steps' and evaluation's 17.24 s (at most 25.86 s, tests/runs/test_estimate.py) + median(4, 10) s
    # (at most the slowest run's 10 s)
    assert found.seconds == pytest.approx(17.24 + 7.0)
    assert found.at_most == pytest.approx(25.86 + 10.0)


def test_a_probe_counts_other_networks_runs_starts(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(probe, "measure", _fake_measure(calls))
    cfg = AdaptConfig("mnist5k", "digits", ("dann",), epochs=1, device="cpu")
    fresh = estimate(cfg, _pair(), workspace)  # inline, no inline run here: its start is its CLI's
    store = RunStore(workspace)
    _lasted(store, _finished(store, DANN, "mlp", {"baseline": 1.0, "adapt": 1.0, "evaluate": 1.0}), 8.0)
    later = estimate(cfg, _pair(), workspace)  # an mlp run: not lenet_bn's rates, but a run's start
    assert later.source == "probe" and later.seconds == pytest.approx(fresh.seconds + 5.0)
    assert later.text().endswith("; from a probe of 4 steps of lenet_bn on cpu, cached)")
