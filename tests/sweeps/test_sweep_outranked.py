"""A sweep over one network's budgets (epochs, lr) judges each run as ``runs rank`` does: a run that
passed its guardrails but whose EnsV is below another config's source-only model is not PASSED, so the
sweep recommends no configuration whose runs ``runs rank`` marks below another config's source-only
model (the pools here are tests/selection/test_mixed_baselines.py's, two epochs budgets of one network)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.selection.helpers import pair_pool
from tests.selection.test_mixed_baselines import outvoting, right_on, strong_run, weak_run
from tlcore.runs import sweep_selection
from tlcore.runs.store import RunStore
from tlcore.runs.summary import ConfigRow
from tlcore.runs.sweep_selection import PASSED_KEY, SCORE_KEY, judged_runs, recommend
from tlcore.runs.trial_numbers import Stat
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.workspace import Workspace

SHORT, LONG = "lenet_bn, epochs 1", "lenet_bn, epochs 2"  # the two budgets' source-only models


def judged(pool: Pool, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, float]]:
    """What a sweep of the pair reads of ``pool``'s runs (the store's pools replaced by ``pool``)."""
    monkeypatch.setattr(sweep_selection, "load_pools", lambda store, source, target: [pool])
    done = tuple(sorted(c.run_id for c in pool.candidates))
    return judged_runs(RunStore(workspace), pool.source, pool.target, done)


def config(key: str, run_id: str, judgement: dict[str, float]) -> ConfigRow:
    """A configuration of one seed, its run judged ``judgement``."""
    metrics = {name: Stat(value, None, 1) for name, value in judgement.items()}
    return ConfigRow(key, "dann", {"epochs": int(key[-1])}, 1, 1, 0, metrics, [run_id])


def test_a_run_below_another_budgets_source_only_model_is_not_passed_nor_recommended(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = pair_pool(weak_run(right_on(15, 0.8, 2), baseline=SHORT), replace(strong_run(), baseline=LONG))
    pool = outvoting(two, baseline=LONG)  # with c-forgot, on LONG: the ensemble is not outvoted
    by_id = {e.run_id: e for e in rank(pool).entries}
    assert by_id["a-weak"].passed and by_id["a-weak"].outranked_by == LONG  # runs rank: "passes; below ..."
    seen = judged(pool, workspace, monkeypatch)
    assert seen == {
        "a-weak": {SCORE_KEY: pytest.approx(20 / 30), PASSED_KEY: 0.0},  # the old rule: passed, 1.0
        "b-strong": {SCORE_KEY: pytest.approx(by_id["b-strong"].score), PASSED_KEY: 0.0},
        "c-forgot": {SCORE_KEY: 1.0, PASSED_KEY: 0.0},  # lost 29 points of source accuracy
    }
    configs = [
        config("dann|epochs=1", "a-weak", seen["a-weak"]),
        config("dann|epochs=2", "b-strong", seen["b-strong"]),
    ]
    assert configs[0].passed == (0, 1)
    assert recommend(configs) is None  # the old rule recommended dann|epochs=1


def test_a_run_that_reaches_every_budgets_source_only_model_is_recommended(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    reaching = weak_run(right_on(27, 0.95), run_id="a-reaching", baseline=SHORT)
    pool = outvoting(pair_pool(reaching, replace(strong_run(), baseline=LONG)), baseline=LONG)
    assert rank(pool).asked is None  # not outvoted: judged by EnsV, LONG's source-only model a bar
    seen = judged(pool, workspace, monkeypatch)
    assert {run: judgement[PASSED_KEY] for run, judgement in seen.items()} == {
        "a-reaching": 1.0,
        "b-strong": 0.0,
        "c-forgot": 0.0,
    }
    assert seen == {e.run_id: {SCORE_KEY: e.score, PASSED_KEY: float(e.eligible)} for e in rank(pool).entries}
    configs = [
        config("dann|epochs=1", "a-reaching", seen["a-reaching"]),
        config("dann|epochs=2", "b-strong", seen["b-strong"]),
    ]
    assert recommend(configs) == "dann|epochs=1"
