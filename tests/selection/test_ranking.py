"""EnsV on toy candidates; the ranking rule and the alarm on constructed pools."""

import math

import numpy as np
import pytest

from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.errors import TLError
from tlcore.metrics.mcnemar import PairedChange
from tlcore.selection.alarm import SelectionSettings, check_run
from tlcore.selection.ensemble import ensemble_agreement, ensemble_labels
from tlcore.selection.pool import Agreement, Pool
from tlcore.selection.ranking import rank
from tlcore.views.ranking import blind_spot, ranking_rows, recommendation, score_text, unreliable_line

from .helpers import candidate, probabilities

Y = np.arange(30) % 3  # the (hidden) truth of 30 target samples, 3 classes
BASELINE = probabilities(np.where(np.arange(30) < 20, Y, (Y + 1) % 3), 0.6)  # right on 20 of 30
GOOD = probabilities(Y, 0.9)
GOOD_TOO = probabilities(Y, 0.85)  # another good model: beside it, a run's ensemble holds a third model
COLLAPSED = probabilities(np.zeros(30, dtype=int), 0.95)


def test_ensv_on_three_toy_candidates():
    a = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.5, 0.5]])
    b = np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.45, 0.55]])
    c = np.array([[0.1, 0.9], [0.7, 0.3], [0.3, 0.7], [0.6, 0.4]])
    # class-0 means: 0.6, 0.533, 0.3, 0.517 -> labels 0, 0, 1, 0 (a's tie on sample 3 reads as 0)
    labels = ensemble_labels([a, b, c])
    assert labels.tolist() == [0, 0, 1, 0]
    assert [ensemble_agreement(p, labels) for p in (a, b, c)] == [1.0, 0.5, 0.75]
    with pytest.raises(TLError, match="different samples"):
        ensemble_labels([a, b[:3]])


def _pool(*candidates):
    return Pool("src", "tgt", tuple(candidates))


def test_the_ensemble_counts_a_shared_baseline_once_and_leaves_out_collapsed_runs():
    pool = _pool(candidate("a", BASELINE, GOOD), candidate("b", BASELINE, COLLAPSED))
    assert len(pool.members()) == 3
    assert len(pool.members(left_out={"b"})) == 2
    # where the baseline is wrong, its vote plus the collapsed model's pull the label to class 0
    with_collapsed = pool.agreements()
    flipped = int((Y[20:] != 0).sum())  # 7 of them
    assert with_collapsed["a"].after == pytest.approx(1 - flipped / 30)
    agreements = pool.agreements(left_out={"b"})  # what the ranking does
    assert agreements["a"].before == agreements["b"].before == pytest.approx(20 / 30)
    assert agreements["a"].after == 1.0 and agreements["b"].after == pytest.approx(10 / 30)


def test_the_rule_picks_the_good_run_and_flags_the_others():
    pool = _pool(
        candidate("1-collapsed", BASELINE, COLLAPSED),
        candidate("2-forgot", BASELINE, GOOD, source_after=0.83),
        candidate("3-good", BASELINE, GOOD, source_after=0.94),
    )
    for validator in ("ensv", "im", "bnm"):
        ranking = rank(pool, SelectionSettings(validator=validator))
        assert ranking.recommended == "3-good"
        assert ranking.entries[0].run_id == "3-good"
        assert ranking.reason.startswith(f"highest {'EnsV' if validator == 'ensv' else validator.upper()} (")
        assert "1 of 3 runs" in ranking.reason and "within 3 points" in ranking.reason
    entries = {e.run_id: e for e in rank(pool, SelectionSettings(validator="ensv")).entries}
    assert entries["3-good"].passed and entries["3-good"].scores["ensv"] == 1.0
    assert entries["3-good"].scores_before["ensv"] == pytest.approx(20 / 30)
    assert entries["1-collapsed"].alarm.reasons == [
        "predictions collapsed onto 1.0 effective classes (source-only: 3.0)",
        "ensemble agreement below source-only's (33.3% vs 66.7%)",
    ]
    assert entries["2-forgot"].alarm.reasons == ["source accuracy fell 12.0 points (95.0% -> 83.0%)"]
    assert not entries["2-forgot"].passed and entries["2-forgot"].score == 1.0  # best EnsV, still out


def test_keep_the_source_only_model_when_every_run_fails():
    pool = _pool(candidate("a", BASELINE, COLLAPSED), candidate("b", BASELINE, GOOD, source_after=0.5))
    ranking = rank(pool)
    assert ranking.recommended is None
    assert ranking.choice == "keep the source-only model"
    assert ranking.reason == (  # the choice is not repeated in the reason: runs rank prints both
        "none of the 2 runs passed the guardrails "
        "(1 collapsed, 1 lost source accuracy, 1 fell below source-only's ensemble agreement)"
    )
    assert ranking.to_dict()["recommended"] is None
    assert rank(_pool()).recommended is None


def _paired(after: np.ndarray) -> PairedChange:
    """The McNemar counts of ``after`` against ``BASELINE`` on the 30 samples' truth ``Y``."""
    return PairedChange.of(BASELINE.argmax(1) == Y, after.argmax(1) == Y)


def test_the_alarm_on_a_negative_transfer_and_whether_it_was_right():
    pool = _pool(
        candidate(
            "neg",
            BASELINE,
            COLLAPSED,
            target_accuracy=1 / 3,
            source_only_accuracy=2 / 3,
            paired=_paired(COLLAPSED),
        ),
        candidate(
            "pos", BASELINE, GOOD, target_accuracy=1.0, source_only_accuracy=2 / 3, paired=_paired(GOOD)
        ),
        candidate("false", BASELINE, GOOD, source_after=0.8, target_accuracy=0.9, source_only_accuracy=2 / 3),
        candidate("unlabelled", BASELINE, GOOD),
    )
    alarms = {e.run_id: e.alarm for e in rank(pool).entries}
    assert alarms["neg"].raised and alarms["neg"].truly_negative and alarms["neg"].correct
    # 13 of the baseline's 20 right samples turn wrong, 3 of its wrong ones right:
    # p = 2 (C(16,0) + C(16,1) + C(16,2) + C(16,3)) / 2^16 = 2 * 697 / 65,536 = 0.0213
    assert alarms["neg"].verdict() == (
        "right: target accuracy fell 33.3 points against source-only (10 more wrong of 30, 13 right to "
        "wrong and 3 wrong to right; McNemar p = 0.021)"
    )
    assert not alarms["pos"].raised and alarms["pos"].correct
    assert alarms["pos"].verdict() == (
        "right: target accuracy rose 33.3 points against source-only (10 more right of 30, 0 right to "
        "wrong and 10 wrong to right; McNemar p = 0.002)"
    )
    assert alarms["false"].raised and alarms["false"].correct is False
    assert alarms["false"].verdict() == (
        "false alarm: target accuracy rose 23.3 points against source-only (paired test not stored by this "
        "older run)"
    )
    assert alarms["unlabelled"].truly_negative is None and alarms["unlabelled"].verdict() is None
    payload = alarms["neg"].to_dict()
    assert payload["raised"] and payload["truly_negative"] and len(payload["checks"]) == 3
    assert payload["paired"] == {"b": 13, "c": 3, "n": 30, "p_value": 2 * 697 / 2**16}
    collapse = payload["checks"][0]
    assert collapse["name"] == "collapse" and collapse["limit"] == pytest.approx(0.8 * collapse["before"])


def test_guardrail_thresholds_come_from_the_settings():
    slight = candidate("slight", BASELINE, GOOD, source_after=0.91)  # 4 points below
    assert rank(_pool(slight)).recommended is None
    assert rank(_pool(slight), SelectionSettings(max_source_drop=0.05)).recommended == "slight"
    two_classes = probabilities(np.where(Y == 2, 1, Y), 0.9)  # class 2 never predicted
    narrow = candidate("narrow", BASELINE, two_classes)
    assert math.exp(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3)) < 0.8 * 3.0
    assert rank(_pool(narrow)).entries[0].alarm.reasons[0].startswith("predictions collapsed onto 1.9")
    assert rank(_pool(narrow), SelectionSettings(min_class_ratio=0.6)).entries[0].passed


def test_bad_settings_are_one_line_errors():
    with pytest.raises(TLError, match=r"unknown validator 'nope'; choose from ensv, im, bnm, dev, iwcv"):
        SelectionSettings(validator="nope")
    with pytest.raises(TLError, match="min_class_ratio"):
        SelectionSettings(min_class_ratio=0.0)


def test_runs_that_all_err_the_same_way_pass_and_the_caveat_says_so_without_labels(capsys):
    # both adapted models confidently predict the wrong class everywhere; the baseline is right on 20/30
    wrong, wronger = probabilities((Y + 1) % 3, 0.9), probabilities((Y + 1) % 3, 0.8)
    unlabelled = rank(_pool(candidate("a", BASELINE, wrong), candidate("b", BASELINE, wronger)))
    assert all(e.passed for e in unlabelled.entries) and unlabelled.recommended == "a"
    assert "goes wrong the same way" in blind_spot(unlabelled)
    print_ranking(unlabelled)
    assert f"  caveat: {blind_spot(unlabelled)}" in capsys.readouterr().out
    assert ranking_json(unlabelled)["caveat"] == blind_spot(unlabelled)  # --json carries it too
    labelled = rank(
        _pool(
            candidate("a", BASELINE, wrong, target_accuracy=0.0, source_only_accuracy=2 / 3),
            candidate("b", BASELINE, wronger, target_accuracy=0.0, source_only_accuracy=2 / 3),
        )
    )
    assert labelled.recommended == "a" and labelled.entries[0].alarm.verdict().startswith("missed")
    assert blind_spot(labelled) is None and blind_spot(rank(_pool())) is None
    kept = rank(_pool(candidate("c", BASELINE, COLLAPSED)))  # nothing passes: keep the source-only model
    assert kept.recommended is None and blind_spot(kept) is None


def test_an_unchanged_source_accuracy_is_said_to_be_unchanged():
    same = candidate("same", BASELINE, GOOD, source_before=0.95, source_after=0.95)
    check = next(
        c for c in check_run(same, Agreement(0.5, 0.6, 1), SelectionSettings()) if c.name == "source_accuracy"
    )
    assert check.message == "source accuracy unchanged (95.0% -> 95.0%)"


def test_a_weighted_score_on_too_few_effective_samples_is_ranked_after_and_never_recommended(capsys):
    # "a-noisy" has the best DEV (source acc 0.97 -> risk 0.03) but its weights rest on 2 samples
    noisy = candidate("a-noisy", BASELINE, GOOD, source_after=0.97, ess=2.0)
    healthy = candidate("b-healthy", BASELINE, GOOD_TOO, source_after=0.95, ess=30.0)  # at the limit: trusted
    old = candidate("c-old", BASELINE, GOOD, source_after=0.94)  # stored before the ESS: unknown
    ranking = rank(_pool(noisy, healthy, old), SelectionSettings(validator="dev"))
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
        "highest DEV (-0.050) among the 1 of 3 runs with a reliable DEV (30 or more effective samples of "
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
    }
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert f"  note: {ranking.note()}\n" in out
    assert out.count("unreliable") == 1 and f"\n{unreliable_line(ranking, {})}\n" in out  # a-noisy's
    # ranked by a validator that needs no weights, the run keeps its place; its DEV and IWCV stay flagged
    by_ensv = rank(_pool(noisy, healthy, old))
    assert by_ensv.note() is None and all(e.reliable for e in by_ensv.entries)
    assert "3 of 3 runs that kept" in by_ensv.reason and by_ensv.entries[2].run_id == "c-old"
    assert {e.run_id: e.unreliable for e in by_ensv.entries}["a-noisy"] == unreliable
    # the threshold is a setting: with min_ess 1 the noisy run's DEV is trusted and wins
    trusting = SelectionSettings(validator="dev", min_ess=1.0)
    assert rank(_pool(noisy, healthy), trusting).recommended == "a-noisy"


def test_no_recommendation_when_no_passing_run_has_a_reliable_weighted_score(capsys):
    pool = _pool(
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
    assert rank(_pool(pool.candidates[2])).choice == "keep the source-only model"  # none passed
    with pytest.raises(TLError, match="min_ess"):
        SelectionSettings(min_ess=-1.0)


def test_the_recommendation_compares_only_the_runs_its_validator_scores_reliably():
    """helper-39's pool: the recommended run has the lower DEV of the two passing runs, because the
    other's rests on 4 effective samples; the sentence counts one run, and names the other by label."""
    reliable = candidate("r1", BASELINE, GOOD, source_after=0.94, ess=30.1, method="deep_coral+im")
    noisy = candidate("r2", BASELINE, GOOD_TOO, source_after=0.96, ess=4.0, method="source_only")
    ranking = rank(_pool(reliable, noisy), SelectionSettings(validator="dev"))
    labels = {"r1": "deep_coral+im · d99975", "r2": "source_only · 177940"}
    assert recommendation(ranking, labels) == (
        "Recommended: deep_coral+im · d99975, the highest DEV (-0.060) among the 1 of 2 runs with a "
        "reliable DEV (30 or more effective samples of the importance weights) that kept at least 80% of "
        "their source-only model's effective classes, source accuracy within 3 points of it and ensemble "
        "agreement not below it. source_only · 177940 also passed the guardrails, but its DEV rests on 4.0 "
        "effective samples of the importance weights (fewer than 30), too few to trust, so it is ranked "
        "after the runs with a reliable DEV and not recommended."
    )
    two = rank(
        _pool(reliable, noisy, candidate("r3", BASELINE, GOOD, source_after=0.97, ess=2.5)),
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
    ranking = rank(_pool(old, healthy, noisy), SelectionSettings(validator="dev"))
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
    by_ensv = rank(_pool(old, healthy, noisy))  # EnsV needs no weights: every run is scored reliably
    assert by_ensv.note() is None and all(e.reliable for e in by_ensv.entries)
    # only old runs passed: no recommendation on their DEV, and the reason says why
    alone = rank(_pool(old, candidate("d-old", BASELINE, GOOD)), SelectionSettings(validator="iwcv"))
    assert alone.recommended is None and alone.choice == "none"
    assert alone.reason == (
        "the IWCV of every run that passed the guardrails is of unknown reliability: they were stored "
        "before tlstudio measured the effective sample size of the importance weights; rank by another "
        "validator (EnsV is the default)"
    )
    mixed = rank(_pool(old, noisy), SelectionSettings(validator="dev"))
    assert mixed.recommended is None and mixed.reason.startswith(
        "the DEV of every run that passed the guardrails rests on fewer than 30 effective samples of the "
        "importance weights or on a number never measured (stored before tlstudio measured it); rank by"
    )


def test_several_unreliable_runs_are_one_line_in_runs_rank_and_on_the_compare_page(capsys):
    """Each run's "DEV and IWCV unreliable" line repeated per run; now one line names the runs with the
    range of their effective samples, the same sentence the Compare page and the report show."""
    pool = _pool(
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
    pool = _pool(
        candidate("exact", BASELINE, GOOD, source_after=1.0),  # IWCV and DEV -0.0
        candidate("tiny", BASELINE, GOOD, source_after=0.99976),  # IWCV and DEV -0.00024
    )
    ranking = rank(pool, SelectionSettings())
    print_ranking(ranking)
    table = capsys.readouterr().out.split("\n#")[-1]
    assert "-0.000 " not in table and "-0 " not in table
    rows = {
        line.split()[1]: line.split()[3:9] for line in table.splitlines()[1:] if line.strip()[:1].isdigit()
    }
    # EnsV, IM, BNM, DEV, IWCV, source accuracy
    assert rows["exact"][3:] == ["0", "0", "1"] and rows["tiny"][3:] == ["-0.00024", "-0.00024", "1"]
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


def test_a_pools_only_run_is_not_judged_by_an_ensemble_of_its_own_models(capsys):
    """helper-76's first run of a pair: collapsed, so left out of the ensemble, it was judged against
    its source-only model alone (100% agreement with itself) and always failed; a lone run that did
    not collapse was judged by the average of its own two models, i.e. by which is more confident.
    Neither ensemble holds a model to judge by: the check is not made, and says so."""
    lone_collapsed = rank(_pool(candidate("a", BASELINE, COLLAPSED)))
    agreement = _pool(candidate("a", BASELINE, COLLAPSED)).agreements(left_out={"a"})["a"]
    assert (agreement.before, agreement.others) == (1.0, 0)
    alarm = lone_collapsed.entries[0].alarm
    assert alarm.reasons == ["predictions collapsed onto 1.0 effective classes (source-only: 3.0)"]
    assert alarm.unchecked == [
        "ensemble agreement not checked: the ensemble holds no model but this run's own (its source-only "
        "model alone), so it cannot judge between them; it is checked once another run of this pair joins "
        "the ensemble"
    ]
    payload = alarm.to_dict()
    assert payload["checks"][2]["checked"] is False and payload["unchecked"] == alarm.unchecked
    assert lone_collapsed.reason == "the one run did not pass the guardrails (1 collapsed)"
    # less confident than its source-only model, right on all 30 where it was right on 20: the old
    # check read the average of the two as the ensemble and raised the alarm (20 of 30 vs 30 of 30)
    unsure = candidate("u", BASELINE, probabilities(Y, 0.5))
    ranking = rank(_pool(unsure))
    assert not ranking.entries[0].alarm.raised and ranking.recommended == "u"
    assert ranking.reason.endswith(
        "ensemble agreement not below it; for this run, ensemble agreement not checked: the ensemble holds "
        "no model but this run's own (its source-only and adapted models), so it cannot judge between "
        "them; it is checked once another run of this pair joins the ensemble"
    )
    print_ranking(ranking)
    assert "    no alarm\n    ensemble agreement not checked: the ensemble holds" in capsys.readouterr().out
    # another run's model in the ensemble: checked, with the same numbers as ever
    two = {e.run_id: e.alarm for e in rank(_pool(unsure, candidate("g", BASELINE, GOOD))).entries}
    assert two["u"].unchecked == [] and two["g"].unchecked == []
    assert two["u"].reasons == [] and two["u"].checks[2].after == 1.0
