"""A pool whose EnsV ensemble holds no more adapted models than source-only ones (a user's usual pool:
a source-only run and the recipe, whose source-only stage is another source-only model) gets a caveat:
there ensemble agreement mostly rewards agreeing with the source-only models (docs/defaults.md, *Small
pools*: the rule's regret was at its worst on such pools)."""

import numpy as np

from tlcore.cli.rank import ranking_json
from tlcore.selection.ranking import rank
from tlcore.views.ranking import blind_spot

from .helpers import BASELINE, GOOD, GOOD_TOO, Y, candidate, pair_pool, probabilities

STAGE = probabilities(np.where(np.arange(30) < 24, Y, (Y + 2) % 3), 0.7)  # the recipe's own source-only stage
THIRD = probabilities(np.where(np.arange(30) < 27, Y, (Y + 1) % 3), 0.8)
SAID = "The ensemble that EnsV compares each model with holds 1 adapted model and 2 source-only models"


def test_a_source_only_run_and_one_recipe_run_get_the_caveat():
    source_only = candidate("so", BASELINE, BASELINE, method="source_only")
    recipe = candidate("recipe", STAGE, GOOD)
    twice = candidate("recipe-again", STAGE, GOOD)  # a repeat: the same models, counted once
    pool = pair_pool(source_only, recipe, twice)
    assert pool.makeup() == (2, 1) and pool.makeup(left_out={"recipe", "recipe-again"}) == (2, 0)
    ranking = rank(pool)
    assert ranking.ensemble == (2, 1)
    caveat = blind_spot(ranking)
    assert caveat is not None and SAID in caveat  # after the checks' blind spot
    assert "rank more configurations (a sweep) before trusting the choice." in caveat
    assert ranking_json(ranking)["caveat"] == caveat


def test_three_adapted_configs_or_target_labels_get_none():
    runs = [candidate(name, BASELINE, after) for name, after in (("a", GOOD), ("b", GOOD_TOO), ("c", THIRD))]
    ranking = rank(pair_pool(candidate("so", BASELINE, BASELINE, method="source_only"), *runs))
    assert ranking.ensemble == (1, 3)
    assert "The ensemble that EnsV" not in (blind_spot(ranking) or "")
    labelled = [
        candidate(
            "so", BASELINE, BASELINE, method="source_only", target_accuracy=0.67, source_only_accuracy=0.67
        ),
        candidate("recipe", STAGE, GOOD, target_accuracy=1.0, source_only_accuracy=0.8),
    ]
    assert rank(pair_pool(*labelled)).ensemble == (2, 1)
    assert "The ensemble that EnsV" not in (blind_spot(rank(pair_pool(*labelled))) or "")  # the labels speak
