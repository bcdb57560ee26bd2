"""A sweep's seeds may load other ``n=`` samples, so each seed's runs are judged in a pool of their own.
Where some of those pools are outvoted (ranked by BNM in EnsV's place) and others are not (EnsV), a
configuration's mean ``selection.score`` added EnsV (1.0 here) to BNM (0.28): every seed's score is now
its BNM, and the sweep says so. Seeds whose pools rank by one validator, or that share one pool, keep
their ranking's scores (no run trains: the pools are built by hand, the runs stored without training)."""

from __future__ import annotations

import os

import pytest

from tests.selection.helpers import BASELINE, COLLAPSED, GOOD, GOOD_TOO, candidate, pair_pool
from tlcore.cli.sweeps import print_summary
from tlcore.runs import summary
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.summary import SCORE_KEY, summarise
from tlcore.runs.sweep import SweepSpec, expand
from tlcore.runs.sweep_store import SweepStore
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.views.sweep import rule
from tlcore.workspace import Workspace

SPEC = SweepSpec("mnist5k", "digits", (("dann",),), Space(parse_grid(["dann.weight=0.1,0.3"])), seeds=(0, 1))
WEAK, STRONG = "dann|dann.weight=0.1", "dann|dann.weight=0.3"
BNM_GOOD, BNM_GOOD_TOO = 0.2846049894151541, 0.2687936011143123  # tlcore.selection.validators.bnm_score
MIXED = "BNM on every seed, because its seeds were judged in separate pools, some of which rank by BNM"


def stored_sweep(workspace: Workspace) -> tuple[SweepStore, str, dict[tuple[str, int], str]]:
    """:data:`SPEC` with a done run per trial: the store, the sweep's id and ``{(config, seed): run id}``."""
    sweeps = SweepStore(workspace)
    sweep_id = sweeps.create(SPEC, ExecutorSettings())
    runs = {}
    for trial in expand(SPEC):
        run_id = sweeps.runs.create(trial.config, sweep_id=sweep_id, trial_key=trial.key)
        assert sweeps.runs.start(run_id, os.getpid()) and sweeps.runs.finish(run_id, {"target_accuracy": 0.5})
        runs[trial.config_key, trial.seed] = run_id
    return sweeps, sweep_id, runs


def judged(
    sweeps: SweepStore, sweep_id: str, monkeypatch: pytest.MonkeyPatch, pools: list[Pool]
) -> summary.SweepSummary:
    """The sweep's summary, the pair's pools replaced by ``pools``."""
    monkeypatch.setattr(summary, "load_pools", lambda store, source, target: pools)
    return summarise(sweeps.get(sweep_id), sweeps.runs)


def test_seeds_judged_by_two_validators_are_all_scored_by_bnm_and_the_sweep_says_so(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seed 0: weight 0.3's run collapsed, left out of the ensemble, which then holds one adapted
    model beside one source-only model: outvoted, ranked by BNM. Seed 1: two adapted models, EnsV."""
    sweeps, sweep_id, runs = stored_sweep(workspace)
    pools = [
        pair_pool(candidate(runs[WEAK, 0], BASELINE, GOOD), candidate(runs[STRONG, 0], BASELINE, COLLAPSED)),
        pair_pool(candidate(runs[WEAK, 1], BASELINE, GOOD_TOO), candidate(runs[STRONG, 1], BASELINE, GOOD)),
    ]
    rankings = [rank(pool) for pool in pools]
    assert [(r.settings.validator, r.asked) for r in rankings] == [("bnm", "ensv"), ("ensv", None)]
    scores = {e.run_id: e.score for r in rankings for e in r.entries}
    assert scores[runs[WEAK, 0]] == pytest.approx(BNM_GOOD) and scores[runs[WEAK, 1]] == 1.0  # EnsV
    state = judged(
        sweeps, sweep_id, monkeypatch, pools
    )  # the defect: weight 0.1's mean was (0.2846 + 1.0) / 2
    assert state.scored_by == "bnm" and state.to_dict()["scored_by"] == "bnm"
    weak = state.config(WEAK).metrics[SCORE_KEY]
    assert weak.mean == pytest.approx((BNM_GOOD + BNM_GOOD_TOO) / 2) == pytest.approx(0.2767, abs=1e-4)
    assert state.config(STRONG).metrics[SCORE_KEY].n == 2  # collapsed on seed 0: not passed
    assert state.recommended == WEAK
    print_summary(state)
    assert MIXED in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("shared", [False, True], ids=["two EnsV pools", "one outvoted pool"])
def test_seeds_whose_pools_rank_by_one_validator_keep_their_rankings_scores(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], shared: bool
) -> None:
    """Two pools that both rank by EnsV (beside an outvoted pool of runs of no trial, which judges none
    of the sweep's), or the four runs in one outvoted pool ranked by BNM: each score as it ranks."""
    sweeps, sweep_id, runs = stored_sweep(workspace)
    if shared:
        pools = [
            pair_pool(
                *(candidate(runs[WEAK, s], BASELINE, GOOD) for s in (0, 1)),
                *(candidate(runs[STRONG, s], BASELINE, COLLAPSED) for s in (0, 1)),
            )
        ]
    else:
        other = pair_pool(candidate("not-a-trial", BASELINE, GOOD))  # outvoted: (1, 1)
        pools = [
            pair_pool(
                candidate(runs[WEAK, s], BASELINE, GOOD_TOO), candidate(runs[STRONG, s], BASELINE, GOOD)
            )
            for s in (0, 1)
        ] + [other]
    assert {rank(pool).settings.validator for pool in pools[:2]} == {"bnm" if shared else "ensv"}
    state = judged(sweeps, sweep_id, monkeypatch, pools)
    assert state.scored_by is None
    weak = state.config(WEAK).metrics[SCORE_KEY]
    assert weak.mean == (pytest.approx(BNM_GOOD) if shared else 1.0)  # the ranking's own score
    print_summary(state)
    out = " ".join(capsys.readouterr().out.split())
    assert rule() in out and MIXED not in out
