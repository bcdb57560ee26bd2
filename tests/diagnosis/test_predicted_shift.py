"""The label shift of labels a model predicted says it is the model's, and when not to trust it (QA
helper-58: a run predicting a table target all benign beside an estimate reading it all malignant)."""

from __future__ import annotations

from tlcore.diagnosis import GapReport, predictions_doubt
from tlcore.diagnosis_settings import GapSettings
from tlcore.metrics.coverage import Novelty, NoveltySettings
from tlcore.metrics.gap import Gap
from tlcore.metrics.prior_shift import LabelShiftSettings
from tlcore.metrics.prior_shift_estimate import LabelShiftEstimate, PriorEstimate
from tlcore.views.diagnosis_report import describe_label_shift, label_shift_row


def report(labels: str, share: float) -> GapReport:
    """A 320 vs 249 report whose target labels (``labels``: true or predicted) are all of class 0 (TV
    0.366 from the source's 63% / 37%), ``share`` of the target without a source neighbour (1.6% by
    chance)."""
    gap = Gap(mmd2=0.9, p_value=0.001, coral=0.06, a_distance=2.0, n_source=320, n_target=249)
    novelty = Novelty(share, round(share * 249), 249, 0.016, 1e-13, 1.0, 320, (), (), NoveltySettings())
    shift = {
        "source_prior": [0.634, 0.366],
        "target_prior": [1.0, 0.0],
        "tv_distance": 0.366,
        "target_labels": labels,
        "p_value": 0.000999,
    }
    return GapReport("s", "t", "model", 16, GapSettings(), gap, [], labels, "", shift, {}, novelty=novelty)


def test_predicted_labels_are_the_models_and_untrusted_where_the_target_is_outside_the_source():
    outside = report("predicted", 1.0)
    why = (
        "100.0% of the target lies outside the source's support in the features of the model that "
        "predicted them (1.6% by chance), where its predictions are guesses"
    )
    assert predictions_doubt(outside) == why
    row = label_shift_row(outside)
    assert (row["metric"], row["value"]) == ("predicted shift", "0.366")
    assert row["reading"] == (
        "TV of the model's predicted target labels from the source's priors (not the target's), "
        f"p = 0.000999 (1000 random splits of the pooled labels); not to be trusted: {why}"
    )
    assert describe_label_shift(outside) == (
        "Shift of the predicted labels: the labels the model predicts for the target differ from the "
        "source's class priors by 36.6% (total variation; p = 0.000999 against random splits of the "
        "pooled labels), a shift of the model's predictions, not a measured label shift of the target, "
        f"whose labels are unknown. Not to be trusted, nor the per-class gaps by them: {why}."
    )
    # 20% new, 18 points beyond chance: less than the shift's 0.366, which they cannot all make
    inside = report("predicted", 0.2)
    assert predictions_doubt(inside) == "" and "not to be trusted" not in label_shift_row(inside)["reading"]
    assert describe_label_shift(inside).endswith("whose labels are unknown.")
    # unless the source-only model's estimate is not to be trusted either: EM and BBSE disagree
    em, bbse = PriorEstimate("em", (0.0, 1.0), 0.634), PriorEstimate("bbse", (1.0, 0.0), 0.366)
    source_prior = (0.634, 0.366)
    estimate = LabelShiftEstimate(
        ("b", "m"), source_prior, em, bbse, None, None, 64, 249, LabelShiftSettings()
    )
    assert not estimate.trusted
    doubt = "the source-only model's estimate of the target's class proportions is not to be trusted"
    assert predictions_doubt(inside, estimate) == doubt
    assert label_shift_row(inside, estimate)["reading"].endswith(f"; not to be trusted: {doubt}")
    # true labels: a label shift of the target, whatever the features say
    true = report("true", 1.0)
    assert predictions_doubt(true) == ""
    assert label_shift_row(true) == {
        "metric": "label shift (TV)",
        "value": "0.366",
        "reading": "true target labels, p = 0.000999 (1000 random splits of the pooled labels)",
    }
    assert describe_label_shift(true) == (
        "Label shift: the class priors differ by 36.6% (total variation, true target labels; "
        "p = 0.000999 against random splits of the pooled labels)."
    )
