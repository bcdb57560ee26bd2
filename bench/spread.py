"""How far apart two seed-averaged accuracies are, against their seed-to-seed spread."""

from __future__ import annotations

import math
import statistics
from typing import Any


def difference_se(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    """Standard error of ``mean_a - mean_b`` over two sets of runs (Welch):

        se = sqrt(s_a^2 / n_a + s_b^2 / n_b)

    with ``s`` the sample standard deviation of a side's run accuracies and ``n`` their count; None
    while a side has fewer than two runs with an accuracy.
    """
    sides = [[r["accuracy"] for r in s.get("runs", []) if r.get("accuracy") is not None] for s in (a, b)]
    if min(map(len, sides)) < 2:
        return None
    return math.sqrt(sum(statistics.variance(values) / len(values) for values in sides))


def difference_text(diff: float, se: float | None) -> str:
    """A difference of accuracies in points, with its standard error when known: ``-4.2 ± 7.3``."""
    return f"{100 * diff:+.1f}" + ("" if se is None else f" ± {100 * se:.1f}")
