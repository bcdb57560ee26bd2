"""Whether a target accuracy rose, fell or is unchanged: one rule for the alarm's verdict, the
Compare page's negative-transfer box and the target-accuracy chart.

A change is shown in percentage points with one decimal (``-0.1 pts``) and counts when it shows at
that precision: ``|100 (after - before)| >= 0.05`` points, the halves rounded away from zero.

* Float noise (the same number of right samples reached by other float operations) shows as
  ``+0.0``: unchanged, never coloured better or worse nor called a fall.
* One test sample of a target of ``n <= 2,000`` samples is ``100 / n >= 0.05`` points: it shows and
  counts. Accuracies are float32 means of 0/1 (:func:`tlcore.adapt.evaluate.classification_scores`),
  each within ``2^-25`` of ``k / n``, so a one-sample change on 2,000 samples may compute as
  0.049996 points: :data:`SLACK` forgives that rounding, never a real sample.
* On a larger target one sample (0.01 points of 10,000) would show as ``-0.0``: unchanged. A verdict
  cannot say "fell 0.0 points", and such a change is far inside the accuracy's own sampling error
  (``100 sqrt(p (1 - p) / n)``, 0.46 points at ``p = 0.7``, ``n = 10,000``): no evidence of
  negative transfer.
"""

from __future__ import annotations

import math
from typing import Literal

DECIMALS = 1  # accuracy changes are shown in points with one decimal
SHOWN = 0.5 * 10**-DECIMALS  # 0.05 points: the least change that shows as +0.1 or -0.1
SLACK = 1e-5  # points: above the float32 rounding of two accuracies' difference (<= 6e-6 points)

Direction = Literal["rose", "fell", "unchanged"]


def shown_points(after: float, before: float) -> float:
    """The change from accuracy ``before`` to ``after`` in percentage points, as shown: rounded to
    :data:`DECIMALS`, halves away from zero, float rounding forgiven (``0.049996 -> 0.1``)."""
    points = 100 * (after - before)
    return round(points + math.copysign(SLACK, points), DECIMALS) + 0.0  # + 0.0: never -0.0


def direction(after: float, before: float) -> Direction:
    """``"rose"``, ``"fell"`` or ``"unchanged"`` (the change shows as 0.0 points): the module's rule."""
    points = shown_points(after, before)
    return "unchanged" if points == 0 else ("rose" if points > 0 else "fell")


def fell(after: float, before: float) -> bool:
    """Whether the accuracy fell from ``before`` to ``after`` by a change that shows (negative transfer
    when ``before`` is the source-only model's)."""
    return direction(after, before) == "fell"
