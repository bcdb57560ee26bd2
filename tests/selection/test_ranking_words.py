"""The ranking's sentences say what is true of the pool: why the ensemble-agreement check was not
made (the pair's first run, or other runs that duplicate this run's models), and one number of
effective samples when a range's ends round alike (helper-85's "5.0 to 5.0")."""

import numpy as np

from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.views.ranking import alarm_summary, unreliable_line

from .helpers import candidate, probabilities

Y = np.arange(30) % 3
BASELINE = probabilities(np.where(np.arange(30) < 20, Y, (Y + 1) % 3), 0.6)
GOOD = probabilities(Y, 0.9)
COLLAPSED = probabilities(np.zeros(30, dtype=int), 0.95)
NOT_CHECKED = "ensemble agreement not checked: the ensemble holds no model but this run's own"
FIRST = ", so it cannot judge between them; it is checked once another run of this pair joins the ensemble"


def _unchecked(*candidates) -> dict[str, list[str]]:
    return {e.run_id: e.alarm.unchecked for e in rank(Pool("src", "tgt", tuple(candidates))).entries}


def test_a_pairs_only_run_waits_for_another_run():
    assert _unchecked(candidate("a", BASELINE, GOOD)) == {
        "a": [f"{NOT_CHECKED} (its source-only and adapted models){FIRST}"]
    }


def test_duplicate_runs_are_named_as_duplicates_not_as_missing():
    """helper-85: two identical deep_coral+im runs and two source-only runs on their cached baseline;
    the sentence said the check waits for another run while the pair held 4."""
    unchecked = _unchecked(
        candidate("a", BASELINE, GOOD),
        candidate("b", BASELINE, GOOD),
        candidate("so1", BASELINE, BASELINE),
        candidate("so2", BASELINE, BASELINE),
    )
    assert (
        unchecked["a"]
        == unchecked["b"]
        == [
            f"{NOT_CHECKED} (its source-only and adapted models): the pair's other 3 runs predict exactly as "
            "this run's own models, so it cannot judge between them; it is checked once a run that predicts "
            "differently joins it"
        ]
    )
    # beside a's adapted model the ensemble could judge so1, but it holds 1 adapted model (a's and b's)
    # and 1 source-only model (BASELINE): outvoted, so not checked for that reason, not as a duplicate
    assert (
        unchecked["so1"]
        == unchecked["so2"]
        == [
            "ensemble agreement not checked: the ensemble holds 1 adapted model and 1 source-only model, so "
            "agreeing with it mostly means agreeing with the source-only models"
        ]
    )
    one = _unchecked(candidate("a", BASELINE, GOOD), candidate("b", BASELINE, GOOD))["a"][0]
    assert "the pair's other run predicts exactly as this run's own models" in one


def test_other_runs_that_collapsed_are_said_to_be_left_out():
    unchecked = _unchecked(
        candidate("a", BASELINE, GOOD), candidate("b", BASELINE, GOOD), candidate("c", BASELINE, COLLAPSED)
    )
    assert unchecked["a"] == [
        f"{NOT_CHECKED} (its source-only and adapted models): of the pair's other 2 runs, 1 predicts "
        "exactly as this run's own models and 1 collapsed (left out), so it cannot judge between them; it "
        "is checked once a run that predicts differently joins it"
    ]
    alone = _unchecked(candidate("a", BASELINE, GOOD), candidate("c", BASELINE, COLLAPSED))["a"][0]
    assert "the pair's other run collapsed and is left out of it" in alone


def test_a_range_whose_ends_round_alike_is_one_number():
    runs = [candidate(f"so{i}", BASELINE, BASELINE, ess=ess) for i, ess in enumerate((5.01, 4.98))]
    assert unreliable_line(rank(Pool("src", "tgt", tuple(runs))), {}) == (
        "DEV and IWCV are unreliable for 2 of 2 runs (so0 and so1): their importance weights rest on 5.0 "
        "effective samples, fewer than 30 (the ESS column), so a few source samples decide those scores."
    )
    runs.append(candidate("so2", BASELINE, BASELINE, ess=7.0))
    assert "rest on 5.0 to 7.0 effective samples" in unreliable_line(
        rank(Pool("src", "tgt", tuple(runs))), {}
    )


def test_a_pool_of_one_run_says_the_one_run():
    """QA helper-126 (plurals): "Negative transfer suspected for 1 of 1 runs"; then helper-246: "1 of 1
    run" counts one run: it is said as one, with the target labels too (not "1 of them")."""
    ranking = rank(Pool("src", "tgt", (candidate("x", BASELINE, COLLAPSED),)))
    assert alarm_summary(ranking) == "Negative transfer suspected for the one run."
    fell = candidate("x", BASELINE, COLLAPSED, target_accuracy=0.4, source_only_accuracy=0.7)
    assert alarm_summary(rank(Pool("src", "tgt", (fell,)))) == (
        "Negative transfer suspected for the one run, not a false alarm by the target labels."
    )
    rose = candidate("x", BASELINE, COLLAPSED, target_accuracy=0.8, source_only_accuracy=0.7)
    assert alarm_summary(rank(Pool("src", "tgt", (rose,)))) == (
        "Negative transfer suspected for the one run, a false alarm by the target labels (the target "
        "accuracy did not fall)."
    )
    two = rank(Pool("src", "tgt", (fell, candidate("y", BASELINE, GOOD))))
    assert alarm_summary(two) == (
        "Negative transfer suspected for 1 of 2 runs, none of them a false alarm by the target labels."
    )


def test_one_run_is_said_as_one_run():
    """QA helper-246: "highest EnsV (0.667) among the 1 of 1 runs that kept ..." and "the one run did not
    pass the guardrails (1 lost source accuracy)": one run is said as one, its failures joined."""
    kept = rank(Pool("src", "tgt", (candidate("a", BASELINE, GOOD),)))
    assert kept.recommended == "a"
    assert kept.reason.startswith(
        f"the one run (BNM {kept.entries[0].score:.3g}), which kept at least 80% of its source-only model's "
        "effective classes and source accuracy within 3 points of it; ensemble agreement not checked"
    )
    lost = candidate("b", BASELINE, GOOD, source_before=0.95, source_after=0.5)
    assert rank(Pool("src", "tgt", (lost,))).reason == (
        "the one run did not pass the guardrails: it lost source accuracy"
    )
    both = candidate("c", BASELINE, COLLAPSED, source_before=0.95, source_after=0.5)
    assert rank(Pool("src", "tgt", (both,))).reason == (
        "the one run did not pass the guardrails: it collapsed and lost source accuracy"
    )
