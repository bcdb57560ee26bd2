"""Rule 4's order (:mod:`tlcore.selection.collapse`): when the ranking's choice is collapsed, the
passing runs that label the target with at least half the classes go first, and a collapsed
source-only model sets no bar (a table target in other units: the source-only run predicted one class
for all 809 rows and was recommended over the recipe's run, which spread its predictions). Such a pool
of one source-only run and one recipe is outvoted (:func:`tlcore.selection.pool.outvoted`): it is now
ranked by BNM, which puts the spread run first without rule 4; beside three adapted runs that spread
their predictions (not outvoted), EnsV ranks it and rule 4 orders it again."""

from dataclasses import replace

import numpy as np
import pytest

from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import Ranking, rank
from tlcore.selection.validators import effective_classes
from tlcore.views.ranking import report_sections, status
from tlcore.views.ranking_caveats import blind_spot

from .helpers import candidate, probabilities

K = 4
Y = np.arange(40) % K  # the (hidden) truth: every class 10 times
ONE = probabilities(np.full(40, 3), 0.99, K)  # every sample class 3: 1.0 effective class
SPREAD = probabilities(np.where(np.arange(40) < 24, Y, (Y + 1) % K), 0.7, K)  # right on 24: 4 classes
NARROW = probabilities(np.where(np.arange(40) < 32, 0, Y), 0.9, K)  # class 0 on 34 of 40: 1.8 classes
TWO = probabilities(np.where(np.arange(40) < 28, 0, 1 + np.arange(40) % 3), 0.9, K)  # 2.6 classes


def _repro() -> Pool:
    """The user's pool: a source-only run and the recipe's run, each on its own collapsed baseline."""
    so = replace(candidate("a-so", ONE, ONE, method="source_only"), baseline="mlp")
    recipe = replace(candidate("b-rec", ONE, SPREAD, method="deep_coral+im"), baseline="mlp, epochs 4")
    return Pool("src", "tgt", (so, recipe))


def said_alike(ranking: Ranking, capsys: pytest.CaptureFixture[str], printed_too: str, highest: str) -> None:
    """``runs rank`` prints run b-rec as recommended with ``printed_too``, its JSON says the ranking's
    choice and reason, and the HTML report recommends b-rec by ``highest``."""
    print_ranking(ranking)
    printed = capsys.readouterr().out
    assert "recommended: run b-rec" in printed and printed_too in printed
    said = ranking_json(ranking)
    assert (said["recommended"], said["choice"], said["reason"]) == ("b-rec", "run b-rec", ranking.reason)
    assert report_sections(ranking, {}).pop(0).note.startswith(f"Recommended: b-rec, {highest}")


def test_a_run_that_spreads_its_predictions_goes_before_a_collapsed_source_only_run(capsys):
    """EnsV's ensemble holds the one source-only model ONE and b-rec's adapted model: outvoted, so
    the pool is ranked by BNM (EnsV ranked a-so first: 1.0 against b-rec's 0.25) and no config's
    source-only model sets a bar."""
    ranking = rank(_repro())  # was run a-so: 1.0 effective class, b-rec below a-so's baseline
    assert (ranking.choice, ranking.collapsed_choice()) == ("run b-rec", None)
    assert (ranking.asked, ranking.settings.validator, ranking.ensemble) == ("ensv", "bnm", (1, 1))
    # ONE's 40 rows are one row r, so its nuclear norm is sqrt(40) |r| = 6.325 * 0.990: BNM 6.261 / 40 = 0.157
    assert [(e.run_id, round(e.score, 3), e.scores["ensv"], e.outranked_by) for e in ranking.entries] == [
        ("b-rec", 0.221, 0.25, None),
        ("a-so", 0.157, 1.0, None),
    ]
    assert ranking.reason.startswith(
        "the highest BNM (0.221) among the 2 of 2 runs that kept at least 80% of their source-only model's "
        "effective classes and source accuracy within 3 points of it; ensemble agreement not checked"
    )
    assert "ranked so because" not in ranking.reason and "sets no bar" not in ranking.reason  # no rule 4
    assert ranking.entries[1].alarm.unchecked == [
        "ensemble agreement not checked: the ensemble holds 1 adapted model and 1 source-only model, so "
        "agreeing with it mostly means agreeing with the source-only models"
    ]
    assert status(ranking.entries[1], ranking) == "passes"  # not below another config's source-only model
    assert blind_spot(ranking).startswith("The checks compare each run")  # no collapse caveat
    assert "effective classes of 4 on the target" not in blind_spot(ranking)
    assert "so the runs are ranked by BNM in EnsV's place and not held to ensemble agreement" in blind_spot(
        ranking
    )
    said_alike(ranking, capsys, "src -> tgt: 2 runs ranked by BNM", "the highest BNM (0.221)")


def _three_recipes() -> Pool:
    """The user's pool with two more adapted runs on the recipe's config: 2 source-only models (ONE,
    and FAINT: class 0 at 0.4) and 3 adapted ones, not outvoted. The adapted models agree on samples
    0 to 15 and predict three different classes on 16 to 39, where ONE's 0.99 wins the ensemble's
    mean for class 3."""
    n = np.arange(40)
    faint = probabilities(np.zeros(40, dtype=int), 0.4, K)  # 1.0 effective class too
    b = probabilities(Y, 0.7, K)
    c = probabilities(np.where(n < 12, Y, (Y + 1) % K), 0.7, K)
    d = probabilities(np.where((n > 0) & (n < 16), Y, (Y + 2) % K), 0.7, K)
    so = replace(candidate("a-so", ONE, ONE, method="source_only"), baseline="mlp")
    runs = [
        replace(candidate(f"{x}-rec", faint, p), baseline="mlp, epochs 4")
        for x, p in zip("bcd", (b, c, d), strict=True)
    ]
    return Pool("src", "tgt", (so, *runs))


def test_beside_more_adapted_models_rule_4_ranks_again_and_says_why(capsys):
    """Ranked by EnsV (not outvoted), a-so came first (0.725: the ensemble labels 29 samples class 3)
    with the recipe's runs below its source-only model's bar; a-so collapsed, so rule 4 ranks again:
    no collapsed source-only model sets a bar, and the runs that spread their predictions go first."""
    ranking = rank(_three_recipes())
    assert (ranking.asked, ranking.settings.validator, ranking.ensemble) == (None, "ensv", (2, 3))
    assert (ranking.choice, ranking.collapsed_choice()) == ("run b-rec", None)
    # b-rec agrees on samples 0..15 but 14 (there c-rec's class 3 tips the mean) and on the 6 of class 3
    # in 16..39: 21 of 40; FAINT's class 0 is the ensemble's label on samples 0, 4, 8 and 12: 0.100
    assert [
        (e.run_id, e.passed, e.score, e.scores_before["ensv"], e.outranked_by) for e in ranking.entries
    ] == [
        ("b-rec", True, 0.525, 0.1, None),
        ("d-rec", True, 0.5, 0.1, None),
        ("c-rec", True, 0.475, 0.1, None),
        ("a-so", True, 0.725, 0.725, None),
    ]
    assert ranking.reason == (
        "the highest EnsV (0.525) among the 3 of 4 runs that passed the guardrails (kept at least 80% of "
        "their source-only model's effective classes, source accuracy within 3 points of it and ensemble "
        "agreement not below it) and label the target with at least 50% of the classes (2 or more "
        "effective classes of 4); ranked so because the first choice, run a-so, predicts 1.0 effective "
        "class on the target, "
        "and the source-only models of mlp and mlp, epochs 4 predict at most 1.0 effective class, so their "
        "EnsV sets no bar; this pool mixes 2 source-only models: mlp (EnsV 0.725; run a-so) and mlp, epochs "
        "4 (EnsV 0.100; runs b-rec, c-rec, d-rec)"
    )
    assert [status(e, ranking) for e in ranking.entries] == ["recommended", "passes", "passes", "passes"]
    assert blind_spot(ranking).startswith("The checks compare each run")  # no collapse caveat
    assert "ranked by BNM" not in blind_spot(ranking)
    said_alike(ranking, capsys, "predicts 1.0 effective class", "the highest EnsV (0.525)")


def test_a_config_of_one_orders_the_spread_run_first_too():
    so = candidate("a-so", ONE, ONE, method="source_only")
    recipe = candidate("b-rec", ONE, SPREAD, method="deep_coral+im")
    ranking = rank(Pool("src", "tgt", (so, recipe)))
    assert ranking.recommended == "b-rec" and ranking.collapsed_choice() is None
    # outvoted (1 source-only model, 1 adapted): BNM 0.221 against a-so's 0.157 puts b-rec first
    assert ranking.reason.startswith("the highest BNM (0.221) among the 2 of 2 runs that kept at least 80%")
    assert "ranked so because" not in ranking.reason  # the first choice is not collapsed: no rule 4
    assert "sets no bar" not in ranking.reason  # one config: no other config's bar to set aside


def test_a_pool_whose_every_run_collapsed_keeps_its_answer():
    """Rule 4 finds no run that spreads its predictions, so the answer stays b, and its caveat with
    it. The ensemble holds two source-only models and no adapted one: outvoted, so the runs are
    ranked by BNM and a's source-only model sets no bar (under EnsV and a's bar the answer was a's
    source-only model, b's EnsV 0.05 below it)."""
    lost = replace(candidate("a", ONE, ONE, source_after=0.5), baseline="mlp")  # fails the source check
    narrow = replace(candidate("b", NARROW, NARROW, method="source_only"), baseline="mlp, epochs 4")
    ranking = rank(Pool("src", "tgt", (lost, narrow)))
    assert (ranking.asked, ranking.settings.validator, ranking.ensemble) == ("ensv", "bnm", (2, 0))
    assert ranking.choice == "run b" and ranking.kept is None
    assert ranking.collapsed_choice() == ("recommended", effective_classes(NARROW))  # 1.8 effective classes
    assert [
        (e.run_id, e.passed, round(e.score, 3), e.scores["ensv"], e.outranked_by) for e in ranking.entries
    ] == [
        ("b", True, 0.227, 0.05, None),
        ("a", False, 0.157, 1.0, None),
    ]
    assert "ranked so because" not in ranking.reason
    assert blind_spot(ranking).startswith(
        "The recommended model predicts 1.8 effective classes of 4 on the target"
    )


def test_a_choice_that_is_not_collapsed_on_an_imbalanced_target_is_ranked_as_before():
    """2.6 effective classes of 4 is not collapsed by the definition (at least 2): a run that spreads
    its predictions wider but scores lower (BNM here) does not go first."""
    so = candidate("a-so", TWO, TWO, method="source_only")
    wide = candidate("b-wide", TWO, SPREAD, method="dann")
    ranking = rank(Pool("src", "tgt", (so, wide)))
    assert ranking.collapsed_choice() is None and ranking.recommended == "a-so"
    assert [e.run_id for e in ranking.entries] == ["a-so", "b-wide"]
    # outvoted (TWO and SPREAD: 1 source-only model, 1 adapted): by BNM, TWO's 0.254 over SPREAD's 0.221
    assert ranking.reason.startswith("the highest BNM (0.254) among the 2 of 2 runs that kept at least 80%")
