"""A sweep's seeds may load other ``n=`` samples, so each seed's runs are judged in a pool of their own.
Where some of those pools are outvoted (ranked by BNM in EnsV's place) and others are not (EnsV), a
configuration's mean ``selection.score`` added EnsV (1.0 here) to BNM (0.28): every seed's score is now
its BNM, and the sweep says so. Seeds whose pools rank by one validator, or that share one pool, keep
their ranking's validator. BNM of ``n`` samples and ``K`` classes is at most ``sqrt(min(n, K) / n)``,
so every BNM a sweep averages is a share of that most: seeds judged on 30 and on 300 samples average on
one scale (no run trains: the pools are built by hand, the runs stored without training)."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from tests.selection.helpers import BASELINE, COLLAPSED, GOOD, GOOD_TOO, candidate, pair_pool, probabilities
from tlcore.cli.sweeps import print_summary
from tlcore.runs import sweep_selection
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.summary import SweepSummary, summarise
from tlcore.runs.sweep import SweepSpec, expand
from tlcore.runs.sweep_selection import SCORE_KEY
from tlcore.runs.sweep_store import SweepStore
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.views.sweep import rule
from tlcore.workspace import Workspace

SPEC = SweepSpec("mnist5k", "digits", (("dann",),), Space(parse_grid(["dann.weight=0.1,0.3"])), seeds=(0, 1))
WEAK, STRONG = "dann|dann.weight=0.1", "dann|dann.weight=0.3"
BNM_GOOD, BNM_GOOD_TOO = 0.2846049894151541, 0.2687936011143123  # tlcore.selection.validators.bnm_score
# ``c`` on the right one of K = 3 balanced classes, d = (1 - c) / 2 elsewhere: P = E Q with E one-hot
# (E'E = n/3 I) and Q = (c - d) I + d 11', singular values sqrt(n/3) (1, c - d, c - d), so
# BNM = (1 + 2 (c - d)) / sqrt(3 n) and its share of sqrt(3 / n) is (1 + 2 (c - d)) / 3 = c, whatever n
SHARE_GOOD, SHARE_GOOD_TOO = 0.9, 0.85  # GOOD (c = 0.9) and GOOD_TOO (c = 0.85) on 30 samples
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
) -> SweepSummary:
    """The sweep's summary, the pair's pools replaced by ``pools`` (none ranked before kept)."""
    monkeypatch.setattr(sweep_selection, "load_pools", lambda store, source, target: pools)
    sweep_selection.ranked_pools.cache_clear()
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
    assert BNM_GOOD / math.sqrt(3 / 30) == pytest.approx(SHARE_GOOD)  # n = 30, K = 3
    assert weak.mean == pytest.approx((SHARE_GOOD + SHARE_GOOD_TOO) / 2) == pytest.approx(0.875)
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
    assert weak.mean == (pytest.approx(SHARE_GOOD) if shared else 1.0)  # the ranking's own validator
    print_summary(state)
    out = " ".join(capsys.readouterr().out.split())
    assert rule() in out and MIXED not in out


def right(n: int, confidence: float) -> np.ndarray:
    """``confidence`` on the right class of ``n`` target samples of 3 balanced classes."""
    return probabilities(np.arange(n) % 3, confidence)


def wrong(n: int, shift: int) -> np.ndarray:
    """A source-only model right on the first two thirds of ``n`` samples, ``shift`` classes off on
    the rest: two shifts are two source-only models, and a pool of two runs on them is outvoted."""
    y = np.arange(n) % 3
    return probabilities(np.where(np.arange(n) < 2 * n // 3, y, (y + shift) % 3), 0.6)


def test_seeds_of_other_n_average_their_bnm_on_one_scale(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seed 0 judged on 30 samples, seed 1 on 300. Mixed validators (seed 0's pool outvoted, seed 1's
    by EnsV): weight 0.1's BNM of 0.2846 on 30 samples and 0.085 on 300 (0.85 on the right class:
    2.55 / sqrt(900)) are 0.9 and 0.85 of their most, sqrt(3/30) and sqrt(3/300). Every pool outvoted:
    weight 0.1 (0.85 on 30 samples, 0.95 on 300) outscores weight 0.3 (0.9, 0.85), where the raw BNM
    means (0.1819 < 0.1848) let the seed of fewer samples decide."""
    sweeps, sweep_id, runs = stored_sweep(workspace)
    mixed = [
        pair_pool(candidate(runs[WEAK, 0], BASELINE, GOOD), candidate(runs[STRONG, 0], BASELINE, COLLAPSED)),
        pair_pool(
            candidate(runs[WEAK, 1], wrong(300, 1), right(300, 0.85)),
            candidate(runs[STRONG, 1], wrong(300, 1), right(300, 0.9)),
        ),
    ]
    assert [rank(pool).settings.validator for pool in mixed] == ["bnm", "ensv"]
    seed_1 = {e.run_id: e.scores["bnm"] for e in rank(mixed[1]).entries}
    assert seed_1[runs[WEAK, 1]] == pytest.approx(2.55 / 30)
    state = judged(sweeps, sweep_id, monkeypatch, mixed)
    assert state.scored_by == "bnm" and state.config(WEAK).metrics[SCORE_KEY].mean == pytest.approx(0.875)

    outvoted = [
        pair_pool(
            candidate(runs[WEAK, seed], wrong(n, 1), right(n, weak)),
            candidate(runs[STRONG, seed], wrong(n, 2), right(n, strong)),
        )
        for seed, n, weak, strong in ((0, 30, 0.85, 0.9), (1, 300, 0.95, 0.85))
    ]
    rankings = [rank(pool) for pool in outvoted]
    assert [r.settings.validator for r in rankings] == ["bnm", "bnm"]
    assert [r.recommended for r in rankings] == [runs[STRONG, 0], runs[WEAK, 1]]
    raw = {e.run_id: e.score for r in rankings for e in r.entries}
    assert (raw[runs[WEAK, 0]] + raw[runs[WEAK, 1]]) / 2 == pytest.approx(0.1819, abs=1e-4)
    assert (raw[runs[STRONG, 0]] + raw[runs[STRONG, 1]]) / 2 == pytest.approx(0.1848, abs=1e-4)
    state = judged(sweeps, sweep_id, monkeypatch, outvoted)
    assert state.scored_by is None
    means = {key: state.config(key).metrics[SCORE_KEY].mean for key in (WEAK, STRONG)}
    assert means == {WEAK: pytest.approx(0.9), STRONG: pytest.approx(0.875)}
    assert state.recommended == WEAK  # the defect: STRONG, by the raw means
