"""An accuracy measured on ``n`` test samples as the count behind it and its 95% Wilson score interval.

A run's target accuracy is a proportion ``k / n`` of right answers on the target's held-out test
split; on 8 samples one sample moves it by 12.5 points, and the number alone reads as exact. The
count (``7 of 8``) and the interval say how little such an accuracy pins down.

Wilson score interval (Wilson 1927, https://doi.org/10.1080/01621459.1927.10502953), with
``p = k / n`` and ``z`` the normal quantile (1.96 for 95%):

    centre = (p + z² / 2n) / (1 + z² / n)
    half   = z / (1 + z² / n) · sqrt(p (1 - p) / n + z² / 4n²)
    interval = [centre - half, centre + half]

Unlike the normal (Wald) interval ``p ± z sqrt(p (1 - p) / n)`` it stays inside [0, 1] and is not
of width zero at ``k = 0`` or ``k = n``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile: a two-sided 95% interval
SMALL_TEST = 30  # fewer test samples than this: an accuracy's interval is wider than ±15 points


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of the proportion ``correct / n`` (module docstring), clipped to
    [0, 1] against float rounding. ``n`` must be positive and ``0 <= correct <= n``."""
    if n <= 0 or not 0 <= correct <= n:
        raise ValueError(f"need 0 <= correct <= n and n > 0, got {correct} of {n}")
    p = correct / n
    scale = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / scale
    half = z / scale * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class CountedAccuracy:
    """An accuracy as ``correct`` of ``n`` test samples with its 95% Wilson interval ``low`` to ``high``."""

    accuracy: float
    correct: int
    n: int
    low: float
    high: float

    def text(self) -> str:
        """``87.5% (7 of 8, 95% CI 52.9 to 97.8%)``."""
        return f"{self.accuracy:.1%} ({self.detail()})"

    def detail(self) -> str:
        """``7 of 8, 95% CI 52.9 to 97.8%``."""
        return f"{self.count_text()}, 95% CI {self.interval_text()}"

    def count_text(self) -> str:
        """``7 of 8``."""
        return f"{self.correct:,} of {self.n:,}"

    def interval_text(self) -> str:
        """``52.9 to 97.8%``."""
        return f"{100 * self.low:.1f} to {self.high:.1%}"

    def to_dict(self) -> dict[str, float | int]:
        return {
            "accuracy": self.accuracy,
            "correct": self.correct,
            "n": self.n,
            "ci95": [self.low, self.high],
        }


def of_count(correct: int, n: int) -> CountedAccuracy:
    """``correct`` right of ``n`` samples as an accuracy with its Wilson interval."""
    low, high = wilson_interval(correct, n)
    return CountedAccuracy(correct / n, int(correct), int(n), low, high)


def counted(accuracy: float | None, n: int | None) -> CountedAccuracy | None:
    """``accuracy`` measured on ``n`` samples as a count, ``round(accuracy * n)`` right (the stored
    accuracy is a float32 mean of 0/1), and its Wilson interval; None when either is unknown."""
    if accuracy is None or not n:
        return None
    return replace(of_count(round(float(accuracy) * n), n), accuracy=float(accuracy))


def accuracy_text(accuracy: float, n: int | None) -> str:
    """``87.5% (7 of 8, 95% CI 52.9 to 97.8%)``, or ``87.5%`` when ``n`` is unknown."""
    known = counted(accuracy, n)
    return known.text() if known else f"{accuracy:.1%}"
