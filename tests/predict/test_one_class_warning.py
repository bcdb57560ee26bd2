"""A model of several classes that predicts one class for every row is warned of (QA helper-195: a table
target with a column in grams, not kilograms, came back as 809 'upgrade' at 100% confidence, unwarned)."""

from __future__ import annotations

import numpy as np

from tlcore.prediction_summary import ONE_CLASS_FROM, PredictionSummary


def _summary(counts: dict[str, int], confidence: float = 1.0) -> PredictionSummary:
    n = sum(counts.values())
    return PredictionSummary(n, tuple(counts), counts, np.full(n, confidence), None, ())


def test_every_row_of_one_class_is_warned_of_with_the_count_and_the_confidence() -> None:
    summary = _summary({"churn": 0, "stay": 0, "upgrade": 809})
    assert summary.one_class_warning == (
        "every one of the 809 predictions is upgrade (mean confidence 100.0%): a model of 3 classes that "
        "reads one class into all the data has most often met data unlike its source (diagnose the pair: a "
        "column in other units, say), not data of one class; check a few rows by hand before using these "
        "predictions"
    )
    assert summary.to_dict()["one_class_warning"] == summary.one_class_warning


def test_a_second_class_few_rows_or_a_one_class_model_are_not_warned_of() -> None:
    assert _summary({"churn": 1, "upgrade": 808}).one_class_warning is None
    assert _summary({"churn": 0, "upgrade": ONE_CLASS_FROM - 1}).one_class_warning is None
    assert _summary({"churn": 0, "upgrade": ONE_CLASS_FROM}).one_class_warning is not None
    assert _summary({"upgrade": 809}).one_class_warning is None  # a one-class model predicts nothing else
    assert _summary({"churn": 1, "upgrade": 808}).to_dict()["one_class_warning"] is None


def test_labelled_data_of_that_one_class_is_not_warned_of_and_mislabelled_rows_are_counted() -> None:
    counts = {"churn": 0, "upgrade": 40}
    right = PredictionSummary(40, tuple(counts), counts, np.full(40, 0.9), 40, ())
    assert right.one_class_warning is None  # every label is upgrade: data of one class, read right
    wrong = PredictionSummary(40, tuple(counts), counts, np.full(40, 0.9), 25, ())
    assert wrong.one_class_warning == (
        "every one of the 40 predictions is upgrade (mean confidence 90.0%), though 15 rows are labelled "
        "otherwise: a model of 2 classes that reads one class into all the data has most often met data "
        "unlike its source (diagnose the pair: a column in other units, say)"
    )
