"""An ensemble outvoted by source-only models (no more adapted models than source-only ones: a user's
usual pool, a source-only run and the recipe, whose first stage is another source-only model) cannot
judge the runs: agreeing with it mostly means agreeing with the source-only models. There the ranking
does not check ensemble agreement and ranks by BNM in EnsV's place, and says so (docs/defaults.md,
*Small pools*; docs/prereg_user_pools.md: the rule chose the source-only model on 5 of 12 benchmark
pools where the recipe was 22 to 87 points better)."""

import numpy as np

from tlcore.cli.rank import ranking_json
from tlcore.selection.pool import outvoted
from tlcore.selection.ranking import rank
from tlcore.selection.settings import SelectionSettings
from tlcore.selection.validators import bnm_score
from tlcore.views.ranking import rank_command
from tlcore.views.ranking_caveats import blind_spot

from .helpers import BASELINE, GOOD, GOOD_TOO, Y, candidate, pair_pool, probabilities

# the recipe's own source-only stage, wrong where the source-only run is and the same way
STAGE = probabilities(np.where(np.arange(30) < 20, Y, (Y + 1) % 3), 0.7)
THIRD = probabilities(np.where(np.arange(30) < 27, Y, (Y + 1) % 3), 0.8)
SAID = (
    "The ensemble that EnsV compares each model with holds 1 adapted model and 2 source-only models: with "
    "no more adapted models than source-only ones, agreeing with it mostly means agreeing with the "
    "source-only models, so the runs are ranked by BNM in EnsV's place and not held to ensemble agreement "
    "(a run that collapsed or forgot the source is still flagged; one that is confidently wrong is not); "
    "rank more configurations (a sweep) for the ensemble's checks."
)
UNCHECKED = (
    "ensemble agreement not checked: the ensemble holds 1 adapted model and 2 source-only models, so "
    "agreeing with it mostly means agreeing with the source-only models"
)


def users_pool(**labels: float) -> tuple:
    """A source-only run (right on 20 of 30) and two identical recipe runs (right on all 30), whose
    source-only stage is wrong on the same 10 samples, the same way."""
    so = candidate("so", BASELINE, BASELINE, method="source_only", **labels)
    return so, candidate("recipe", STAGE, GOOD), candidate("recipe-again", STAGE, GOOD)


def test_outvoted_is_no_more_adapted_models_than_source_only_ones():
    assert outvoted((2, 1)) and outvoted((1, 1)) and outvoted((2, 0))
    assert not outvoted((1, 2)) and not outvoted((2, 3)) and not outvoted((0, 0))
    pool = pair_pool(*users_pool())
    assert pool.makeup() == (2, 1)  # the repeat is the same model, counted once
    assert pool.makeup(left_out={"recipe", "recipe-again"}) == (2, 0)


def test_a_source_only_run_and_the_recipe_rank_by_bnm_without_the_ensemble_check():
    """On the ensemble's labels (mean of 0.6, 0.7 and 0.05 on the wrong class beats 0.2, 0.15 and 0.9
    on the right one: 0.45 > 0.417) the recipe agrees on 20 of 30 and its stage on 30: the ensemble
    check flagged the recipe and the rule kept the source-only run, right on 20 of 30 where the recipe
    is right on 30."""
    pool = pair_pool(*users_pool())
    ranking = rank(pool)
    assert ranking.ensemble == (2, 1) and ranking.asked == "ensv" and ranking.settings.validator == "bnm"
    assert ranking.recommended == "recipe"  # the old rule: "so"
    entries = {e.run_id: e for e in ranking.entries}
    recipe = entries["recipe"]
    assert recipe.score == bnm_score(GOOD) > entries["so"].score == bnm_score(BASELINE)
    assert recipe.scores["ensv"] == 20 / 30 and recipe.scores_before["ensv"] == 1.0  # below, unchecked
    assert recipe.passed and recipe.alarm.unchecked == [UNCHECKED]
    # no run's ensemble agreement was checked: the reason does not list it among the guardrails passed
    assert ranking.reason == (
        f"the highest BNM (0.285) among the 3 of 3 runs that kept at least 80% of their "
        f"source-only model's effective classes and source accuracy within 3 points of it; {UNCHECKED}"
    )
    assert blind_spot(ranking) is not None and blind_spot(ranking).endswith(SAID)
    payload = ranking_json(ranking)
    assert payload["asked"] == "ensv" and payload["ensemble"] == {"source_only": 2, "adapted": 1}
    assert payload["settings"]["validator"] == "bnm" and payload["caveat"] == blind_spot(ranking, shell=True)


def test_another_validator_asked_is_kept_and_the_caveat_says_only_the_check():
    ranking = rank(pair_pool(*users_pool()), SelectionSettings(validator="im"))
    assert ranking.asked is None and ranking.settings.validator == "im" and ranking.recommended == "recipe"
    assert blind_spot(ranking).endswith(SAID.replace("ranked by BNM in EnsV's place and ", ""))


def test_a_labelled_target_is_ranked_the_same_way_and_told_why():
    labelled = users_pool(target_accuracy=20 / 30, source_only_accuracy=20 / 30)
    ranking = rank(pair_pool(*labelled))
    assert ranking.recommended == "recipe" and SAID in (blind_spot(ranking) or "")


def test_three_adapted_models_rank_by_ensv_and_check_the_ensemble_as_before():
    runs = [candidate(name, BASELINE, after) for name, after in (("a", GOOD), ("b", GOOD_TOO), ("c", THIRD))]
    ranking = rank(pair_pool(candidate("so", BASELINE, BASELINE, method="source_only"), *runs))
    assert ranking.ensemble == (1, 3) and ranking.asked is None and ranking.settings.validator == "ensv"
    assert all(e.alarm.unchecked == [] for e in ranking.entries)
    assert "The ensemble that EnsV" not in (blind_spot(ranking) or "")


def test_the_command_line_shown_names_the_validator_asked_for():
    ranking = rank(pair_pool(*users_pool()))
    assert rank_command(ranking).endswith("--validator ensv")  # what the page's picker shows; ranks the same
