"""Thinning a long curve to a bounded number of points that still shows its shape.

Min-max decimation (as in the M4 aggregation of Jugel et al., VLDB 2014, without the per-bucket first
and last): the first and the last point, then the lowest and the highest point of each of equally
many consecutive buckets between them. A spike, a dip and the curve's extremes stay visible; a
500-epoch run's curve is drawn from at most ``limit`` points instead of 500.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CURVE_POINTS = 200  # points per training curve at most: a chart panel is a few hundred px wide


def thin(values: Sequence[float], limit: int = CURVE_POINTS) -> list[int]:
    """The indices (ascending) of at most ``limit`` (>= 4) of ``values`` to draw: all of them when they
    fit; else the first, the last, and the minimum and maximum of each of ``(limit - 2) // 2``
    consecutive buckets of the points between. A NaN is neither a minimum nor a maximum (a bucket of
    NaN alone keeps its first, so the gap stays drawn)."""
    if limit < 4:
        raise ValueError(f"a curve needs at least 4 points to keep its ends and extremes, not {limit}")
    n, buckets = len(values), (limit - 2) // 2
    if n <= limit:
        return list(range(n))
    low = [math.inf if math.isnan(v) else v for v in values]
    high = [-math.inf if math.isnan(v) else v for v in values]
    keep = {0, n - 1}
    for b in range(buckets):  # the points 1 .. n - 2 in consecutive runs of near-equal length
        span = range(1 + (n - 2) * b // buckets, 1 + (n - 2) * (b + 1) // buckets)
        keep |= {min(span, key=low.__getitem__), max(span, key=high.__getitem__)}
    return sorted(keep)
