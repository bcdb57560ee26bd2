"""A failed ensemble-agreement check says how big the fall is: the paired counts of the run's two
models against the ensemble's labels, with the exact McNemar test, on a hand-built pool."""

import numpy as np
import pytest

from tlcore.metrics.mcnemar import PairedChange
from tlcore.selection.ranking import rank
from tlcore.views.ranking import ranking_rows

from .helpers import candidate, pair_pool, probabilities

L = np.arange(12) % 3  # the ensemble's labels: two confident models outvote the two 0.6 ones


def _agreeing_on(agrees: np.ndarray) -> np.ndarray:
    """A 0.6-confident model that predicts ``L`` where ``agrees`` and the next class elsewhere."""
    return probabilities(np.where(agrees, L, (L + 1) % 3), 0.6)


@pytest.mark.parametrize(
    ("adapted_agrees", "paired", "p", "full", "brief"),
    [
        # the baseline agrees on samples 0-9; the adapted model on 0-4 and 10: 5 only the baseline,
        # 1 only the adapted model, p = 2 (C(6,0) + C(6,1)) / 2^6 = 14/64
        (
            [*range(5), 10],
            PairedChange(5, 1, 12),
            14 / 64,
            "(only the adapted model agrees with the ensemble on 1, only the source-only model on 5; "
            "McNemar p = 0.22: within chance)",
            " (within chance)",
        ),
        # on 0-2: 7 only the baseline, none only the adapted model, p = 2 / 2^7
        (
            [0, 1, 2],
            PairedChange(7, 0, 12),
            2 / 128,
            "(only the adapted model agrees with the ensemble on 0, only the "
            "source-only model on 7; McNemar p = 0.016)",
            "",
        ),
    ],
    ids=["within-chance", "beyond-chance"],
)
def test_a_failed_agreement_says_the_paired_counts(
    adapted_agrees: list[int], paired: PairedChange, p: float, full: str, brief: str
) -> None:
    b, c = paired.b, paired.c
    baseline = _agreeing_on(np.arange(12) < 10)
    adapted = _agreeing_on(np.isin(np.arange(12), adapted_agrees))
    pool = pair_pool(
        candidate("a", baseline, adapted),
        candidate("b", baseline, probabilities(L, 0.9)),
        candidate("c", baseline, probabilities(L, 0.85)),
    )
    assert pool.agreements()["a"].paired == paired
    ranking = rank(pool)
    entry = next(e for e in ranking.entries if e.run_id == "a")
    check = next(check for check in entry.alarm.checks if check.name == "ensemble_agreement")
    after = f"{len(adapted_agrees) / 12:.1%}"  # 50.0% or 25.0%, the baseline's 10 of 12
    words = f"ensemble agreement below source-only's ({after} vs 83.3%): fell {b - c} samples of 12"
    assert not check.passed and check.paired == paired
    assert entry.alarm.reasons == [f"{words} {full}"]
    assert entry.alarm.brief_reasons == [f"{words}{brief}"]
    assert entry.alarm.to_dict()["checks"][2]["paired"] == {
        "b": b,
        "c": c,
        "n": 12,
        "p_value": pytest.approx(p),
    }
    rows = {row["run"]: row for row in ranking_rows(ranking, {}, brief=True)}
    assert rows["a"]["alarm"] == f"{words}{brief}"
    assert {row["run"]: row["alarm"] for row in ranking_rows(ranking, {})}["a"] == f"{words} {full}"
    # the decision is the check's as before: the other two runs pass and carry their counts untold
    assert [e.run_id for e in ranking.entries if e.passed] == ["b", "c"]
    assert rows["b"]["alarm"] == ""
