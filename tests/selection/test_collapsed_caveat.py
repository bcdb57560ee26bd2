"""The ranking's caveat says when the model it leaves you with predicts collapsed classes on the
target: the guardrails compare each run with its own source-only model, so a collapsed source-only
run passes against itself (a 20-class pair recommended one at 6.3% target accuracy)."""

import math

import numpy as np

from tlcore.cli.rank import print_ranking, ranking_json
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.views.ranking import recommendation, report_sections
from tlcore.views.ranking_caveats import blind_spot

from .helpers import candidate, probabilities

K = 20
# 100 target samples predicted as class 0 (50), 1 (40) and 2 (10): exp(H) = 2.57 effective classes
COLLAPSED = probabilities(np.repeat([0, 1, 2], [50, 40, 10]), 0.6, K)
SPREAD = probabilities(np.arange(100) % K, 0.6, K)  # every class 5 times: 20 effective classes
CLASSES = math.exp(-(0.5 * math.log(0.5) + 0.4 * math.log(0.4) + 0.1 * math.log(0.1)))


def _pool(*candidates):
    return Pool("src20", "tgt20", tuple(candidates))


def test_a_recommended_collapsed_model_is_said_to_be_collapsed(capsys):
    source_only = candidate(
        "so", COLLAPSED, COLLAPSED, method="source_only", target_accuracy=0.063, source_only_accuracy=0.063
    )
    ranking = rank(_pool(source_only))
    assert ranking.recommended == "so" and ranking.n_classes == K
    assert round(CLASSES, 2) == 2.57 and ranking.collapsed_choice() == ("recommended", CLASSES)
    caveat = blind_spot(ranking)
    assert caveat.startswith(
        "The recommended model predicts 2.6 effective classes of 20 on the target: its predictions are "
        "collapsed onto a few classes, and the guardrails compare each run with its own source-only model"
    )
    print_ranking(ranking)
    assert f"  caveat: {caveat}" in capsys.readouterr().out
    assert ranking_json(ranking)["caveat"] == caveat
    assert caveat in report_sections(ranking, {})[0].note


def test_keeping_a_collapsed_source_only_model_is_said_in_the_recommendation_itself(capsys):
    """QA helper-246: "Keep the source-only model: ..." then a caveat calling keeping it "no safe
    fallback" read as a contradiction: the one sentence says to keep it, and that it is collapsed."""
    lost = candidate("a", COLLAPSED, SPREAD, source_before=0.77, source_after=0.40)  # fails the guardrail
    ranking = rank(_pool(lost))
    assert ranking.choice == "keep the source-only model"
    said = (
        "Keep the source-only model: the one run did not pass the guardrails: it lost source accuracy; "
        "that model is collapsed, though: it predicts 2.6 effective classes of 20 on the target, so label a "
        "few target samples per class and check it on them before using it."
    )
    assert recommendation(ranking, {}) == said
    assert blind_spot(ranking) is None  # no caveat box beside it
    assert report_sections(ranking, {})[0].note == said
    assert ranking_json(ranking)["reason"] == said[len("Keep the source-only model: ") : -1]
    print_ranking(ranking)
    out = capsys.readouterr().out
    assert "that model is collapsed, though" in out and "caveat:" not in out


def test_a_model_that_predicts_every_class_gets_no_collapse_caveat():
    healthy = candidate("b", SPREAD, SPREAD, target_accuracy=0.9, source_only_accuracy=0.9)
    labelled = rank(_pool(healthy))
    assert labelled.recommended == "b" and labelled.collapsed_choice() is None
    assert blind_spot(labelled) is None  # labelled: the accuracies speak
    unlabelled = rank(_pool(candidate("b", SPREAD, SPREAD)))
    assert blind_spot(unlabelled).startswith("The checks compare each run with the others")
