"""What adapting changed, without target labels: where the target predictions moved.

Two models' probabilities on the same target samples (a run's source-only and adapted model, the
run store's ``predictions.npz``; or two runs' adapted models) give the ``K x K`` table
``N[i, j] = #{n : argmax p_first(n) = i and argmax p_second(n) = j}``. Its off-diagonal cells are the
*flows*: ``i -> j`` holds the samples the first model called ``i`` and the second calls ``j``, and
its share is ``N[i, j] / sum_j' N[i, j']``. Adapting is meant to move samples (it corrects the
source-only model's mistakes), so a flow is not an error in itself; but a large flow out of one
class into one other is how a class-conditional shift tips a whole cluster the wrong way, and a look
at the flow's samples tells a correction from a mistake where no label can.

Over several models of the same samples (the seeds of one configuration), the *disagreement* is the
share of samples whose predicted class is not the same under all of them,
``(1/n) sum_n [max_m argmax p_m(n) != min_m argmax p_m(n)]``: label-free, 0 for models that agree
everywhere, and where it is high a configuration's result depends on its seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tlcore.errors import TLError


@dataclass(frozen=True)
class Flow:
    """The samples predicted ``before`` by the first model and ``after`` by the second (class
    indices), ``share`` of those the first model predicted ``before``."""

    before: int
    after: int
    count: int
    share: float


@dataclass(frozen=True)
class PredictionChanges:
    """Both models' predicted classes per sample and the second model's confidence in its own."""

    classes: tuple[str, ...]
    first: np.ndarray  # n, int64
    second: np.ndarray  # n, int64
    confidence: np.ndarray  # n, float32: max of the second model's probabilities

    @property
    def n_samples(self) -> int:
        return len(self.first)

    @property
    def counts(self) -> np.ndarray:
        """``N`` (module docstring): rows the first model's class, columns the second's."""
        k = len(self.classes)
        return np.bincount(self.first * k + self.second, minlength=k * k).reshape(k, k)

    @property
    def changed(self) -> int:
        """Samples whose predicted class differs between the two models."""
        return int((self.first != self.second).sum())

    @property
    def share_changed(self) -> float:
        return self.changed / self.n_samples if self.n_samples else 0.0

    def flows(self) -> list[Flow]:
        """Every non-empty flow, largest first (ties: by class indices)."""
        counts = self.counts
        rows = counts.sum(axis=1)
        k = len(self.classes)
        cells = [(int(counts[i, j]), i, j) for i in range(k) for j in range(k) if i != j and counts[i, j]]
        cells.sort(key=lambda cell: (-cell[0], cell[1], cell[2]))
        return [Flow(i, j, n, n / int(rows[i])) for n, i, j in cells]

    def samples(self, flow: Flow) -> np.ndarray:
        """The flow's sample indices, the second model's most confident first (ties: sample order)."""
        members = np.flatnonzero((self.first == flow.before) & (self.second == flow.after))
        return members[np.argsort(-self.confidence[members], kind="stable")]


def prediction_changes(first: np.ndarray, second: np.ndarray, classes: Sequence[str]) -> PredictionChanges:
    """The changes from ``first`` to ``second`` (``n x K`` probabilities of the same samples, in the
    same order); a :class:`TLError` when their shapes differ or ``K`` is not ``len(classes)``."""
    if first.ndim != 2 or first.shape != second.shape:
        raise TLError(f"predictions of shapes {first.shape} and {second.shape}: need two n x K of one shape")
    if first.shape[1] != len(classes):
        raise TLError(f"predictions over {first.shape[1]} classes, but {len(classes)} class names")
    return PredictionChanges(
        tuple(str(name) for name in classes),
        first.argmax(axis=1).astype(np.int64),
        second.argmax(axis=1).astype(np.int64),
        second.max(axis=1).astype(np.float32),
    )


def disagreement(predictions: Sequence[np.ndarray]) -> float:
    """The share of samples on which the models' predicted classes differ (module docstring), from
    their ``n x K`` probabilities (or ``n`` predicted classes) of the same samples; 0 for one model."""
    classes = np.stack([p.argmax(axis=1) if p.ndim == 2 else p for p in predictions])
    if classes.shape[1] == 0:
        return 0.0
    return float((classes.max(axis=0) != classes.min(axis=0)).mean())
