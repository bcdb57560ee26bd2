"""The Predict page's figures (the confidence histogram and the predicted classes), called without
Streamlit."""

from __future__ import annotations

import numpy as np

from tlcore.numbers import plural
from tlcore.prediction_summary import PredictionSummary
from tlcore.views import figures, predictions


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
    assert list(bars.customdata) == [plural(n, "sample") for n in payload["counts"]]
    assert payload["counts"][6] == 2 and bars.customdata[6] == "2 samples"


def test_the_confidence_axis_reads_in_percent_as_the_page_does() -> None:
    """QA helper-254: the axis ticked 0, 0.5, 1 beside a mean confidence of 10.9% and a table of 10.7%."""
    summary = PredictionSummary(2, ("a",), {"a": 2}, np.array([0.1, 0.2]), None, ())
    assert predictions.confidence_histogram(summary).layout.xaxis.tickformat == ".0%"


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


def _hovers(bars: object) -> list[str]:
    """Each bar's hover as it reads: its template's ``%{...}`` filled in with the bar's own values."""
    fills = {"%{x}": "{x}", "%{y:.1%}": "{y:.1%}", "%{customdata}": "{data}", "%{text}": "{text}"}
    template = bars.hovertemplate
    for plotly, python in fills.items():
        template = template.replace(plotly, python)
    texts = bars.text or [""] * len(bars.x)
    return [
        template.format(x=x, y=y, data=d, text=t)
        for x, y, d, t in zip(bars.x, bars.y, bars.customdata, texts, strict=True)
    ]


def test_the_confidence_and_class_balance_hovers_count_one_sample_as_one() -> None:
    """QA: a bin or a class of one sample read "1 samples" on hover (the predicted classes said
    "1 sample"); all three write the count with :func:`~tlcore.numbers.plural`."""
    summary = PredictionSummary(4, ("a", "b"), {"a": 3, "b": 1}, np.array([0.99, 0.98, 0.97, 0.6]), None, ())
    (bins,) = predictions.confidence_histogram(summary).data
    hovers = {h for h in _hovers(bins) if ": 0 samples" not in h}
    assert hovers == {  # the bin's range in percent, as the page writes a confidence (was its centre, 0.57)
        "confidence 55% to 60%: 1 sample (25.0%)<extra></extra>",
        "confidence 95% to 100%: 3 samples (75.0%)<extra></extra>",
    }
    assert bins.textposition == "none"  # on hover only, not written on the bars
    balance = figures.class_balance({"source": {"a": 3, "b": 1}, "target": {"a": 2, "b": 2}})
    assert _hovers(balance.data[0]) == [
        "a: 75.0% (3 samples)<extra></extra>",
        "b: 25.0% (1 sample)<extra></extra>",
    ]
    assert _hovers(balance.data[1])[1] == "b: 50.0% (2 samples)<extra></extra>"


def test_each_predicted_class_bar_is_labelled_with_its_count_zero_when_never_predicted() -> None:
    """QA: of 10 classes, the 7 never predicted were empty rows; each bar now writes its count at its
    end (``0``), outside the bar, at the labels' size, the longest bar's in the right margin."""
    counts = {f"class_{i}": n for i, n in enumerate([0, 950, 0, 0, 12, 0, 835, 0, 0, 0])}
    summary = PredictionSummary(1797, tuple(counts), counts, np.full(1797, 0.9), None, ())
    fig = predictions.predicted_counts(summary)
    (bars,) = fig.data
    assert list(bars.y) == ["class_1", "class_6", "class_4", *(f"class_{i}" for i in (0, 2, 3, 5, 7, 8, 9))]
    assert list(bars.text) == ["950", "835", "12", *["0"] * 7]
    assert (bars.textposition, bars.textfont.size, bars.cliponaxis) == ("outside", figures.LABEL_SIZE, False)
    assert fig.layout.margin.r >= len("950") * figures.LABEL_SIZE / 2
