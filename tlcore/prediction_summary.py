"""What a page or the CLI shows of a set of predictions, tallied batch by batch as they stream
(:func:`tlcore.predict.predict_rows`): counts per predicted class, confidences and their histogram,
accuracy with its interval when the data is labelled, and the least confident samples with the class
predicted, the runner-up and the label.

>>> summary = summarise(predict_rows(trained, load_data(trained, "upload:scans.zip")))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tlcore.errors import TLError
from tlcore.metrics.proportion import CountedAccuracy, of_count
from tlcore.numbers import percent

if TYPE_CHECKING:
    from tlcore.predict import PredictionBatch

LEAST_CONFIDENT = 20  # rows a summary lists as the least confident
HISTOGRAM_BINS = 20  # confidence bins of the Predict page's histogram and of `predict --json`
ONE_CLASS_FROM = 20  # rows from which every one predicted as one class is warned of (fewer can be by chance)


@dataclass(frozen=True)
class Uncertain:
    """One of the least confident samples: its row in the domain as given, its id, its confidence, the
    class predicted, the next most probable (None for a one-class model) and its label (None when
    unlabelled)."""

    row: int
    id: str
    confidence: float
    predicted: str
    runner_up: str | None
    label: str | None

    @property
    def caption(self) -> str:
        """Its thumbnail's caption, ``31.4% seven``: the confidence as the least-confident table's column
        shows it (:func:`~tlcore.numbers.percent`; a caption read ``31%`` beside ``31.4%``), then the
        class predicted (a long name is cut, not the percent)."""
        return f"{percent(self.confidence)} {self.predicted}"


@dataclass(frozen=True)
class PredictionSummary:
    """What a page or the CLI shows of a set of predictions (per-sample arrays in prediction order)."""

    n_samples: int
    classes: tuple[str, ...]
    counts: dict[str, int]  # samples per predicted class, in the model's class order
    confidences: np.ndarray  # n float64
    correct: int | None  # rows whose prediction equals the label; None when unlabelled
    least_confident: tuple[Uncertain, ...]  # least confident first (ties: the earlier sample first)

    @property
    def accuracy(self) -> float | None:
        """Share of rows whose prediction equals the label; None when unlabelled."""
        return None if self.correct is None else self.correct / self.n_samples

    @property
    def counted_accuracy(self) -> CountedAccuracy | None:
        """The accuracy with its count and 95% Wilson interval, as Compare shows a run's
        (:mod:`tlcore.metrics.proportion`); None when unlabelled."""
        return None if self.correct is None else of_count(self.correct, self.n_samples)

    @property
    def accuracy_basis(self) -> str:
        """What :attr:`accuracy` is measured on: every sample given, all of them labelled."""
        return f"all {self.n_samples:,} labelled samples"

    @property
    def mean_confidence(self) -> float:
        return float(self.confidences.mean())

    @property
    def one_class_warning(self) -> str | None:
        """:func:`one_class_warning` of these predictions."""
        return one_class_warning(self.classes, self.counts, self.mean_confidence, self.correct)

    def histogram(self, bins: int = HISTOGRAM_BINS) -> tuple[np.ndarray, np.ndarray]:
        """``(edges, counts)`` of the confidences over ``bins`` equal bins of [0, 1]."""
        counts, edges = np.histogram(self.confidences, bins=bins, range=(0.0, 1.0))
        return edges, counts

    def least_confident_rows(self) -> list[dict[str, Any]]:
        """The least confident samples as table rows: id, predicted, next (the runner-up class),
        label (labelled data only), confidence."""
        return [
            {"id": u.id, "predicted": u.predicted, "next": u.runner_up}
            | ({} if self.correct is None else {"label": u.label})
            | {"confidence": u.confidence}
            for u in self.least_confident
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: everything but the per-row confidences, which become a histogram."""
        edges, counts = self.histogram()
        return {
            "n_samples": self.n_samples,
            "classes": list(self.classes),
            "counts": self.counts,
            "mean_confidence": self.mean_confidence,
            "one_class_warning": self.one_class_warning,
            "accuracy": self.accuracy,
            "correct": self.correct,
            "accuracy_ci95": None if (known := self.counted_accuracy) is None else [known.low, known.high],
            "confidence_histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
            "least_confident": [asdict(sample) for sample in self.least_confident],
        }


def one_class_warning(
    classes: Sequence[str], counts: Mapping[str, int], mean_confidence: float, correct: int | None
) -> str | None:
    """A warning when a model of several ``classes`` predicts one class for every row (``counts``: rows
    per predicted class; from :data:`ONE_CLASS_FROM` rows): most often data unlike its source (a column
    in other units), not data of one class; None otherwise, and None for labelled data whose every label
    is that class (``correct`` all rows: data of one class, read right); labelled data otherwise says how
    many rows its labels put in other classes (``correct`` None: unlabelled)."""
    n_samples = sum(counts.values())
    predicted = [name for name, count in counts.items() if count]
    if len(classes) < 2 or n_samples < ONE_CLASS_FROM or len(predicted) != 1:
        return None
    if correct == n_samples:
        return None
    head = f"every one of the {n_samples:,} predictions is {predicted[0]} "
    head += f"(mean confidence {percent(mean_confidence)})"
    why = (
        f"a model of {len(classes)} classes that reads one class into all the data has most often "
        "met data unlike its source (diagnose the pair: a column in other units, say)"
    )
    if correct is not None:
        return f"{head}, though {n_samples - correct:,} rows are labelled otherwise: {why}"
    return f"{head}: {why}, not data of one class; check a few rows by hand before using these predictions"


class Tally:
    """Accumulates a :class:`PredictionSummary` batch by batch."""

    def __init__(self) -> None:
        self.classes: tuple[str, ...] = ()
        self.counts = np.zeros(0, dtype=np.int64)
        self.confidences: list[np.ndarray] = []
        self.ids: list[str] = []
        self.rows: list[np.ndarray] = []
        self.top_index: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.correct = 0
        self.labelled = True

    def add(self, batch: PredictionBatch) -> None:
        if not self.ids:
            self.classes, self.counts = batch.classes, np.zeros(len(batch.classes), dtype=np.int64)
        self.counts += np.bincount(batch.predicted, minlength=len(self.classes))
        self.confidences.append(batch.confidence)
        self.ids.extend(batch.ids)
        self.rows.append(batch.rows)
        self.top_index.append(batch.top_index[:, :2])
        if batch.label is None:
            self.labelled = False
        else:
            self.correct += int((batch.predicted == batch.label).sum())
            self.labels.append(batch.label)

    def summary(self, least: int) -> PredictionSummary:
        if not self.ids:
            raise TLError("there are no predictions to summarise")
        confidences = np.concatenate(self.confidences)
        order = np.argsort(confidences, kind="stable")[:least].tolist()
        rows, top = np.concatenate(self.rows), np.concatenate(self.top_index)
        labels = np.concatenate(self.labels) if self.labelled else None

        def uncertain(i: int) -> Uncertain:
            return Uncertain(
                row=int(rows[i]),
                id=self.ids[i],
                confidence=float(confidences[i]),
                predicted=self.classes[top[i, 0]],
                runner_up=self.classes[top[i, 1]] if top.shape[1] > 1 else None,
                label=None if labels is None else self.classes[labels[i]],
            )

        return PredictionSummary(
            n_samples=len(self.ids),
            classes=self.classes,
            counts=dict(zip(self.classes, self.counts.tolist(), strict=True)),
            confidences=confidences,
            correct=self.correct if self.labelled else None,
            least_confident=tuple(uncertain(i) for i in order),
        )


def summarise(batches: Iterable[PredictionBatch], least: int = LEAST_CONFIDENT) -> PredictionSummary:
    """Counts per predicted class, confidences, accuracy and the ``least`` least confident rows."""
    tally = Tally()
    for batch in batches:
        tally.add(batch)
    return tally.summary(least)
