"""The ranking rule beside weighted scores on too few effective samples (DEV, IWCV), and how its
scores read."""

import math

import pytest

from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.errors import TLError
from tlcore.selection.alarm import SelectionSettings
from tlcore.selection.ranking import rank
from tlcore.views.ranking import ranking_rows, recommendation, score_text, unreliable_line

from .helpers import BASELINE, COLLAPSED, GOOD, GOOD_TOO, candidate, pair_pool


def test_a_weighted_score_on_too_few_effective_samples_is_ranked_after_and_never_recommended(capsys):
    # "a-noisy" has the best DEV (source acc 0.97 -> risk 0.03) but its weights rest on 2 samples
    noisy = candidate("a-noisy", BASELINE, GOOD, source_after=0.97, ess=2.0)
    healthy = candidate("b-healthy", BASELINE, GOOD_TOO, source_after=0.95, ess=30.0)  # at the limit: trusted
    old = candidate("c-old", BASELINE, GOOD, source_after=0.94)  # stored before the ESS: unknown
    ranking = rank(pair_pool(noisy, healthy, old), SelectionSettings(validator="dev"))
    assert [e.run_id for e in ranking.entries] == ["b-healthy", "c-old", "a-noisy"]
    assert ranking.recommended == "b-healthy" and ranking.choice == "run b-healthy"
    entries = {e.run_id: e for e in ranking.entries}
    assert not entries["a-noisy"].reliable and entries["a-noisy"].passed
    assert entries["a-noisy"].score == entries["a-noisy"].scores["dev"] == pytest.approx(-0.03)  # unchanged
    unreliable = (
        "DEV and IWCV unreliable: their importance weights rest on 2.0 effective samples of 100 "
        "(fewer than 30)"
    )
    assert entries["a-noisy"].unreliable == unreliable
    assert entries["b-healthy"].unreliable is None and entries["c-old"].unreliable is None
    # the reason counts and compares only the runs DEV scores reliably: a-noisy's higher DEV is not one
    assert ranking.reason == (
        "the highest DEV (-0.05) among the 1 of 3 runs with a reliable DEV (30 or more effective samples of "
        "the importance weights) that kept at least 80% of their source-only model's effective classes, "
        "source accuracy within 3 points of it and ensemble agreement not below it"
    )
    assert ranking.note().startswith(
        "a-noisy also passed the guardrails, but its DEV rests on 2.0 effective samples of the importance "
        "weights (fewer than 30), too few to trust, so it is ranked after the runs with a reliable DEV and "
        "not recommended; c-old also passed"  # c-old: test_a_run_stored_before_the_ess_is_not_vouched_for
    )
    assert ranking.note({"a-noisy": "dann · noisy"}).startswith("dann · noisy also passed the guardrails")
    payload = ranking.to_dict()
    assert payload["note"] == ranking.note() and payload["choice"] == "run b-healthy"
    assert payload["entries"][2] | {"alarm": None} == {
        "run_id": "a-noisy",
        "method": "deep_coral",
        "score": pytest.approx(-0.03),
        "passed": True,
        "scores": entries["a-noisy"].scores,
        "scores_before": entries["a-noisy"].scores_before,
        "ess": 2.0,
        "n_weights": 100,
        "unreliable": unreliable,
        "reliable": False,
        "alarm": None,
        "baseline": "",  # one config: no other config's source-only model outranks it
        "outranked_by": None,
        "params_note": None,  # a pool built from arrays: no stored run to compare
    }
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert f"  note: {ranking.note()}\n" in out
    assert out.count("unreliable") == 1 and f"\n{unreliable_line(ranking, {})}\n" in out  # a-noisy's
    # ranked by a validator that needs no weights, the run keeps its place; its DEV and IWCV stay flagged
    by_ensv = rank(pair_pool(noisy, healthy, old))
    assert by_ensv.note() is None and all(e.reliable for e in by_ensv.entries)
    assert "3 of 3 runs that kept" in by_ensv.reason and by_ensv.entries[2].run_id == "c-old"
    assert {e.run_id: e.unreliable for e in by_ensv.entries}["a-noisy"] == unreliable
    # the threshold is a setting: with min_ess 1 the noisy run's DEV is trusted and wins
    trusting = SelectionSettings(validator="dev", min_ess=1.0)
    assert rank(pair_pool(noisy, healthy), trusting).recommended == "a-noisy"


def test_no_recommendation_when_no_passing_run_has_a_reliable_weighted_score(capsys):
    pool = pair_pool(
        candidate("a", BASELINE, GOOD, ess=2.0),
        candidate("b", BASELINE, GOOD, ess=4.0),
        candidate("c", BASELINE, COLLAPSED, ess=50.0),  # reliable weights, but collapsed
    )
    ranking = rank(pool, SelectionSettings(validator="iwcv"))
    assert ranking.recommended is None and ranking.choice == "none"
    assert ranking.reason == (
        "the IWCV of every run that passed the guardrails rests on fewer than 30 "
        "effective samples of the importance weights; rank by another validator (EnsV is the default)"
    )
    assert ranking.note() is None  # the reason says it
    assert recommendation(ranking, {}) == f"No recommendation: {ranking.reason}."
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert f"recommended: none\n  because: {ranking.reason}\n" in out and out.count("recommendation") == 0
    assert [e.run_id for e in ranking.entries] == ["a", "b", "c"]
    assert rank(pool).recommended == "a" and rank(pool).choice == "run a"  # EnsV needs no weights
    assert rank(pair_pool(pool.candidates[2])).choice == "keep the source-only model"  # none passed
    with pytest.raises(TLError, match="min_ess"):
        SelectionSettings(min_ess=-1.0)


def test_the_recommendation_compares_only_the_runs_its_validator_scores_reliably():
    """helper-39's pool: the recommended run has the lower DEV of the two passing runs, because the
    other's rests on 4 effective samples; the sentence counts one run, and names the other by label."""
    reliable = candidate("r1", BASELINE, GOOD, source_after=0.94, ess=30.1, method="deep_coral+im")
    noisy = candidate("r2", BASELINE, GOOD_TOO, source_after=0.96, ess=4.0, method="source_only")
    ranking = rank(pair_pool(reliable, noisy), SelectionSettings(validator="dev"))
    labels = {"r1": "deep_coral+im · d99975", "r2": "source_only · 177940"}
    assert recommendation(ranking, labels) == (
        "Recommended: deep_coral+im · d99975, the highest DEV (-0.06) among the 1 of 2 runs with a "
        "reliable DEV (30 or more effective samples of the importance weights) that kept at least 80% of "
        "their source-only model's effective classes, source accuracy within 3 points of it and ensemble "
        "agreement not below it. source_only · 177940 also passed the guardrails, but its DEV rests on 4.0 "
        "effective samples of the importance weights (fewer than 30), too few to trust, so it is ranked "
        "after the runs with a reliable DEV and not recommended."
    )
    two = rank(
        pair_pool(reliable, noisy, candidate("r3", BASELINE, GOOD, source_after=0.97, ess=2.5)),
        SelectionSettings(validator="iwcv"),
    )
    assert two.note() == (
        "r3 and r2 also passed the guardrails, but their IWCV rests on 2.5 and 4.0 effective samples of "
        "the importance weights (fewer than 30), too few to trust, so they are ranked after the runs with "
        "a reliable IWCV and not recommended"
    )


def test_a_run_stored_before_the_ess_is_not_vouched_for_when_ranking_by_dev(capsys):
    """A run stored before its weights' effective sample size was measured (``ess`` None) could rest on
    2 effective samples like any: ranked by DEV or IWCV it goes after the reliably scored runs and is
    not recommended on that score, in one line that says why; by EnsV it keeps its place."""
    old = candidate("a-old", BASELINE, GOOD, source_after=0.97)  # the best DEV, weights unknown
    healthy = candidate("b-healthy", BASELINE, GOOD, source_after=0.95, ess=40.0)
    noisy = candidate("c-noisy", BASELINE, GOOD, source_after=0.96, ess=2.0)
    ranking = rank(pair_pool(old, healthy, noisy), SelectionSettings(validator="dev"))
    assert ranking.recommended == "b-healthy"  # the old code recommended a-old on its DEV, unsaid
    assert [e.run_id for e in ranking.entries] == ["b-healthy", "a-old", "c-noisy"]  # unknown before few
    note = (
        "a-old also passed the guardrails, but its DEV cannot be vouched for: it was stored before "
        "tlstudio measured the effective sample size of the importance weights, so it is ranked after the "
        "runs with a reliable DEV and not recommended (rank by EnsV, or run it again)"
    )
    assert ranking.note().endswith(f"; {note}") and ranking.note().count("also passed") == 2
    entry = ranking_json(ranking)["entries"][1]  # machine-readable: not reliable, no ESS, not "few"
    assert (entry["run_id"], entry["reliable"], entry["ess"], entry["unreliable"]) == (
        "a-old",
        False,
        None,
        None,
    )
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert out.count("stored before") == 1 and f"  note: {ranking.note()}\n" in out
    by_ensv = rank(pair_pool(old, healthy, noisy))  # EnsV needs no weights: every run is scored reliably
    assert by_ensv.note() is None and all(e.reliable for e in by_ensv.entries)
    # only old runs passed: no recommendation on their DEV, and the reason says why
    alone = rank(pair_pool(old, candidate("d-old", BASELINE, GOOD)), SelectionSettings(validator="iwcv"))
    assert alone.recommended is None and alone.choice == "none"
    assert alone.reason == (
        "the IWCV of every run that passed the guardrails is of unknown reliability: they were stored "
        "before tlstudio measured the effective sample size of the importance weights; rank by another "
        "validator (EnsV is the default)"
    )
    mixed = rank(pair_pool(old, noisy), SelectionSettings(validator="dev"))
    assert mixed.recommended is None and mixed.reason.startswith(
        "the DEV of every run that passed the guardrails rests on fewer than 30 effective samples of the "
        "importance weights or on a number never measured (stored before tlstudio measured it); rank by"
    )


def test_several_unreliable_runs_are_one_line_in_runs_rank_and_on_the_compare_page(capsys):
    """Each run's "DEV and IWCV unreliable" line repeated per run; now one line names the runs with the
    range of their effective samples, the same sentence the Compare page and the report show."""
    pool = pair_pool(
        *(candidate(run, BASELINE, GOOD, ess=ess) for run, ess in (("a", 2.0), ("b", 4.5), ("c", 3.0)))
    )
    ranking = rank(pool)
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert out.count("unreliable") == 1  # not once per run
    line = unreliable_line(ranking, {})
    assert line == (
        "DEV and IWCV are unreliable for 3 of 3 runs (a, b and c): their importance weights rest on 2.0 to "
        "4.5 effective samples, fewer than 30 (the ESS column), so a few source samples decide those scores."
    )
    assert out.endswith(f"{line}\n")
    assert unreliable_line(ranking, {"a": "dann · a"}).startswith(
        "DEV and IWCV are unreliable for 3 of 3 runs (dann · a, b"
    )


def test_scores_show_three_significant_digits_and_never_a_negative_zero(capsys):
    """helper-48 read IWCV "-0.000" in ``runs rank`` and on Compare: -0.000238 at three decimals, and a
    source accuracy of 1 gives an error of -(1 - 1) = -0.0."""
    pool = pair_pool(
        candidate("exact", BASELINE, GOOD, source_after=1.0),  # IWCV and DEV -0.0
        candidate("tiny", BASELINE, GOOD, source_after=0.99976),  # IWCV and DEV -0.00024
    )
    ranking = rank(pool, SelectionSettings())
    print_ranking(ranking, scores=True)  # every score: the --scores table, its rows by the ranking's #
    table = capsys.readouterr().out.split("every validator's score of each run")[1].split("\n\ncolumns")[0]
    assert "-0.000 " not in table and "-0 " not in table
    ids = [entry.run_id for entry in ranking.entries]
    rows = {ids[int(line.split()[0]) - 1]: line.split()[1:7] for line in table.splitlines()[2:]}
    # EnsV, IM, BNM, DEV, IWCV, source accuracy (a percent: tests/selection/test_ranking_numbers.py)
    assert rows["exact"][3:] == ["0", "0", "100.0%"]
    assert rows["tiny"][3:] == ["-0.00024", "-0.00024", "100.0%"]
    by_run = {row["run"]: row for row in ranking_rows(ranking, {})}
    assert math.copysign(1.0, by_run["exact"]["IWCV"]) == 1.0 and by_run["tiny"]["IWCV"] == pytest.approx(
        -0.00024
    )
    assert [score_text(v) for v in (-0.000238, -0.0, 5.0909, 12345.0, None)] == [
        "-0.000238",
        "0",
        "5.09",
        "12,345",  # whole, as every measured number reads (tlcore.numbers), not "1.23e+04"
        "-",
    ]


def test_the_reason_writes_the_score_as_the_table_does(capsys):
    """helper-226: the reason wrote the recommended run's score with three decimals, "highest IWCV
    (-0.000)" beside -0.00024 in its row; it is the table's score now (3 significant digits)."""
    pool = pair_pool(
        candidate("tiny", BASELINE, GOOD, source_after=0.99976, ess=40.0),  # IWCV -0.00024
        candidate("more", BASELINE, GOOD_TOO, source_after=0.999, ess=40.0),  # IWCV -0.001
    )
    ranking = rank(pool, SelectionSettings(validator="iwcv"))
    assert ranking.recommended == "tiny" and ranking.entries[0].score == pytest.approx(-0.00024)
    assert ranking.reason.startswith("the highest IWCV (-0.00024) among the 2 of 2 runs with a reliable IWCV")
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert "  because: the highest IWCV (-0.00024) among" in out
    assert "-0.00024" in next(line for line in out.splitlines() if line.startswith(" 1  tiny"))
