"""EnsV on toy candidates; the ranking rule and the alarm on constructed pools."""

import math

import numpy as np
import pytest

from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.errors import TLError
from tlcore.metrics.mcnemar import PairedChange
from tlcore.selection.alarm import SelectionSettings, check_run
from tlcore.selection.ensemble import ensemble_agreement, ensemble_labels
from tlcore.selection.pool import Agreement
from tlcore.selection.ranking import rank
from tlcore.views.ranking_caveats import blind_spot

from .helpers import BASELINE, COLLAPSED, GOOD, GOOD_TOO, Y, candidate, pair_pool, probabilities


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
    # the mean is taken in float64: class 1 leads by 2^-23 in the sum, which float32 rounds to a tie
    # (read as class 0); stored probabilities are float32, so float64 holds each one exactly
    half_ulp = np.float32(2**-24)
    near = [np.array([[1, 0]], np.float32), np.array([[0, 1]], np.float32)]
    assert ensemble_labels([*near, np.array([[0.5 - half_ulp, 0.5 + half_ulp]], np.float32)]).tolist() == [1]
    with pytest.raises(TLError, match="n x K"):
        ensemble_agreement(a[0], labels)


def test_the_ensemble_counts_a_shared_baseline_once_and_leaves_out_collapsed_runs():
    pool = pair_pool(candidate("a", BASELINE, GOOD), candidate("b", BASELINE, COLLAPSED))
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
    # 2-forgot's adapted model is another good one (GOOD_TOO): EnsV's ensemble (the collapsed run left
    # out) holds 2 adapted models and 1 source-only model, so it is not outvoted and is checked; it
    # labels every sample as Y, as BASELINE + GOOD alone did (where BASELINE is wrong, Y gets 0.9 + 0.85
    # + 0.2 against 0.6 + 0.075 + 0.05)
    pool = pair_pool(
        candidate("1-collapsed", BASELINE, COLLAPSED),
        candidate("2-forgot", BASELINE, GOOD_TOO, source_after=0.83),
        candidate("3-good", BASELINE, GOOD, source_after=0.94),
    )
    for validator in ("ensv", "im", "bnm"):
        ranking = rank(pool, SelectionSettings(validator=validator))
        assert ranking.recommended == "3-good"
        assert ranking.entries[0].run_id == "3-good"
        label = "EnsV" if validator == "ensv" else validator.upper()
        assert ranking.reason.startswith(f"the highest {label} (")
        assert "1 of 3 runs" in ranking.reason and "within 3 points" in ranking.reason
    entries = {e.run_id: e for e in rank(pool, SelectionSettings(validator="ensv")).entries}
    assert entries["3-good"].passed and entries["3-good"].scores["ensv"] == 1.0
    assert entries["3-good"].scores_before["ensv"] == pytest.approx(20 / 30)
    assert entries["1-collapsed"].alarm.reasons == [
        "predictions collapsed onto 1.0 effective classes (source-only: 3.0)",
        # 13 samples only its source-only model agrees on, 3 only its adapted one: p = 2 * 697 / 2^16
        "ensemble agreement below source-only's (33.3% vs 66.7%): fell 10 samples of 30 (only the adapted "
        "model agrees with the ensemble on 3, only the source-only model on 13; McNemar p = 0.021)",
    ]
    assert entries["2-forgot"].alarm.reasons == ["source accuracy fell 12.0 points (95.0% -> 83.0%)"]
    assert not entries["2-forgot"].passed and entries["2-forgot"].score == 1.0  # best EnsV, still out


def test_keep_the_source_only_model_when_every_run_fails():
    # b and c adapt to two distinct models, so EnsV's ensemble (a's collapsed model left out) holds more
    # adapted models than source-only ones and its guardrail is checked: it labels every sample as Y,
    # on which a's collapsed model agrees on 10 of 30 against its source-only model's 20
    pool = pair_pool(
        candidate("a", BASELINE, COLLAPSED),
        candidate("b", BASELINE, GOOD, source_after=0.5),
        candidate("c", BASELINE, GOOD_TOO, source_after=0.5),
    )
    ranking = rank(pool)
    assert ranking.recommended is None
    assert ranking.choice == "keep the source-only model"
    assert ranking.reason == (  # the choice is not repeated in the reason: runs rank prints both
        "none of the 3 runs passed the guardrails "
        "(1 collapsed, 2 lost source accuracy, 1 fell below source-only's ensemble agreement)"
    )
    assert ranking.to_dict()["recommended"] is None
    assert rank(pair_pool()).recommended is None


def _paired(after: np.ndarray) -> PairedChange:
    """The McNemar counts of ``after`` against ``BASELINE`` on the 30 samples' truth ``Y``."""
    return PairedChange.of(BASELINE.argmax(1) == Y, after.argmax(1) == Y)


def test_the_alarm_on_a_negative_transfer_and_whether_it_was_right():
    pool = pair_pool(
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
    assert payload["paired"] == {
        "b": 13,
        "c": 3,
        "n": 30,
        "p_value": pytest.approx(2 * 697 / 2**16, rel=1e-12),
    }
    collapse = payload["checks"][0]
    assert collapse["name"] == "collapse" and collapse["limit"] == pytest.approx(0.8 * collapse["before"])


def test_guardrail_thresholds_come_from_the_settings():
    slight = candidate("slight", BASELINE, GOOD, source_after=0.91)  # 4 points below
    assert rank(pair_pool(slight)).recommended is None
    assert rank(pair_pool(slight), SelectionSettings(max_source_drop=0.05)).recommended == "slight"
    two_classes = probabilities(np.where(Y == 2, 1, Y), 0.9)  # class 2 never predicted
    narrow = candidate("narrow", BASELINE, two_classes)
    assert math.exp(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3)) < 0.8 * 3.0
    assert rank(pair_pool(narrow)).entries[0].alarm.reasons[0].startswith("predictions collapsed onto 1.9")
    assert rank(pair_pool(narrow), SelectionSettings(min_class_ratio=0.6)).entries[0].passed


def test_bad_settings_are_one_line_errors():
    with pytest.raises(TLError, match=r"unknown validator 'nope'; choose from ensv, im, bnm, dev, iwcv"):
        SelectionSettings(validator="nope")
    with pytest.raises(TLError, match="min_class_ratio"):
        SelectionSettings(min_class_ratio=0.0)


def test_runs_that_all_err_the_same_way_pass_and_the_caveat_says_so_without_labels(capsys):
    # both adapted models confidently predict the wrong class everywhere; the baseline is right on 20/30
    wrong, wronger = probabilities((Y + 1) % 3, 0.9), probabilities((Y + 1) % 3, 0.8)
    unlabelled = rank(pair_pool(candidate("a", BASELINE, wrong), candidate("b", BASELINE, wronger)))
    assert all(e.passed for e in unlabelled.entries) and unlabelled.recommended == "a"
    assert "goes wrong the same way" in blind_spot(unlabelled)
    print_ranking(unlabelled)
    out = capsys.readouterr().out
    assert f"  caveat: {blind_spot(unlabelled, shell=True)}" in out  # the shell's: the predict command
    # QA helper-279: "- (target unlabelled)" in every row's TARGET ACC squeezed METHOD; no run has
    # labels, so the column is left out and its words (as runs show says them) said once, above the table
    lines = out.splitlines()
    rows = [line for line in lines if line.startswith((" 1  a ", " 2  b "))]
    (header,) = [line for line in lines if line.startswith(" #  RUN")]
    assert len(rows) == 2 and "TARGET ACC" not in header and header.split()[-1] == "ALARM"
    assert out.count("(target unlabelled)") == 1 and lines.index(header) > lines.index(
        "  target accuracy: - (target unlabelled) for every run, so the table has no TARGET ACC column"
    )
    assert ranking_json(unlabelled)["caveat"] == blind_spot(unlabelled, shell=True)  # --json carries it too
    labelled = rank(
        pair_pool(
            candidate("a", BASELINE, wrong, target_accuracy=0.0, source_only_accuracy=2 / 3),
            candidate("b", BASELINE, wronger, target_accuracy=0.0, source_only_accuracy=2 / 3),
        )
    )
    some = rank(  # one run with labels: the column stays, the other run's cell says why it is empty
        pair_pool(
            candidate("a", BASELINE, wrong, target_accuracy=0.0, source_only_accuracy=2 / 3),
            candidate("b", BASELINE, wronger),
        )
    )
    print_ranking(some)
    lines = capsys.readouterr().out.splitlines()
    (header,) = [line for line in lines if line.startswith(" #  RUN")]
    assert header.split()[-3:] == ["TARGET", "ACC", "ALARM"] and "  target accuracy: " not in lines
    (row_b,) = [line for line in lines if line.startswith(" 2  b ")]
    assert "  - (target unlabelled)  " in row_b
    assert labelled.recommended == "a" and labelled.entries[0].alarm.verdict().startswith("missed")
    assert blind_spot(labelled) is None and blind_spot(rank(pair_pool())) is None
    kept = rank(pair_pool(candidate("c", BASELINE, COLLAPSED)))  # nothing passes: keep the source-only model
    assert kept.recommended is None and blind_spot(kept) is None


def test_an_unchanged_source_accuracy_is_said_to_be_unchanged():
    same = candidate("same", BASELINE, GOOD, source_before=0.95, source_after=0.95)
    check = next(
        c for c in check_run(same, Agreement(0.5, 0.6, 1), SelectionSettings()) if c.name == "source_accuracy"
    )
    assert check.message == "source accuracy unchanged (95.0% -> 95.0%)"


def test_a_pools_only_run_is_not_judged_by_an_ensemble_of_its_own_models(capsys):
    """helper-76's first run of a pair: collapsed, so left out of the ensemble, it was judged against
    its source-only model alone (100% agreement with itself) and always failed; a lone run that did
    not collapse was judged by the average of its own two models, i.e. by which is more confident.
    Neither ensemble holds a model to judge by: the check is not made, and says so."""
    lone_collapsed = rank(pair_pool(candidate("a", BASELINE, COLLAPSED)))
    agreement = pair_pool(candidate("a", BASELINE, COLLAPSED)).agreements(left_out={"a"})["a"]
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
    assert lone_collapsed.reason == "the one run did not pass the guardrails: it collapsed"
    # less confident than its source-only model, right on all 30 where it was right on 20: the old
    # check read the average of the two as the ensemble and raised the alarm (20 of 30 vs 30 of 30)
    unsure = candidate("u", BASELINE, probabilities(Y, 0.5))
    ranking = rank(pair_pool(unsure))
    assert not ranking.entries[0].alarm.raised and ranking.recommended == "u"
    assert ranking.reason.endswith(
        "source accuracy within 3 points of it; ensemble agreement not checked: the ensemble holds "
        "no model but this run's own (its source-only and adapted models), so it cannot judge between "
        "them; it is checked once another run of this pair joins the ensemble"
    )
    print_ranking(ranking, alarms=True)
    assert "    no alarm\n    ensemble agreement not checked: the ensemble holds" in capsys.readouterr().out
    # another run's model in the ensemble: checked, with the same numbers as ever
    two = {e.run_id: e.alarm for e in rank(pair_pool(unsure, candidate("g", BASELINE, GOOD))).entries}
    assert two["u"].unchecked == [] and two["g"].unchecked == []
    assert two["u"].reasons == [] and two["u"].checks[2].after == 1.0
