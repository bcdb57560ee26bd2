"""The Predict page's figures (the confidence histogram and the predicted classes), called without
Streamlit."""

from __future__ import annotations

import numpy as np

from tlcore.prediction_summary import PredictionSummary
from tlcore.views import predictions


def test_prediction_bars_leave_headroom() -> None:
    summary = PredictionSummary(4, ("a", "b"), {"a": 3, "b": 1}, np.array([0.99, 0.98, 0.97, 0.6]), None, ())
    histogram, counts = predictions.confidence_histogram(summary), predictions.predicted_counts(summary)
    assert histogram.layout.yaxis.range[1] >= 1.1 * max(histogram.data[0].y)
    assert counts.layout.xaxis.range[1] >= 1.1 * max(counts.data[0].x) == 1.1 * 3  # bars across


def test_the_confidence_histogram_has_the_bins_of_predict_json() -> None:
    confidences = np.array([0.31, 0.33, 0.97, 0.98, 0.99])  # 0.31 and 0.33 share a bin of 20, not of 40
    summary = PredictionSummary(5, ("a", "b"), {"a": 3, "b": 2}, confidences, None, ())
    (bars,) = predictions.confidence_histogram(summary).data
    payload = summary.to_dict()["confidence_histogram"]  # what `predict --json` prints
    assert len(bars.x) == len(payload["counts"]) == 20
    np.testing.assert_allclose(bars.x, np.diff(payload["edges"]) / 2 + payload["edges"][:-1])
    assert list(bars.customdata) == payload["counts"] and payload["counts"][6] == 2


def test_the_confidence_histograms_title_wraps_in_its_half_row() -> None:
    """QA: at 1000 px the title, beside the predicted classes, was cut at "(mea"."""
    summary = PredictionSummary(1797, ("a",), {"a": 1797}, np.full(1797, 0.262), None, ())
    title = predictions.confidence_histogram(summary).layout.title.text
    assert title == "Confidence of 1,797 predictions<br>(mean 26.2%)"


def test_the_predicted_classes_hover_counts_one_sample_as_one() -> None:
    """QA: hovering a class predicted once read "class_02: 1 samples"."""
    summary = PredictionSummary(4, ("a", "b"), {"a": 3, "b": 1}, np.array([0.99, 0.98, 0.97, 0.6]), None, ())
    (bars,) = predictions.predicted_counts(summary).data
    hovers = [
        bars.hovertemplate.replace("%{y}", y).replace("%{customdata}", c)
        for y, c in zip(bars.y, bars.customdata, strict=True)
    ]
    assert hovers == ["a: 3 samples<extra></extra>", "b: 1 sample<extra></extra>"]
