"""Remedies: which registered shift undoes a finding on which statistic, on which side, and the search
of its value.

A finding on a statistic of :data:`REMEDIES` may be undone by a shift of :mod:`tlcore.data.shifts`
applied to one side: ``invert`` the target when its polarity is the other way round; ``contrast``,
``scale`` or ``rotate`` the target back; ``blur`` the sharper side, add ``noise`` or ``colour`` to the
cleaner / greyer side, ``occlusion`` on the source when the target has less ink (no shift removes
blur, noise, colour or an occluder, and occluding the target would only destroy it). The value is
searched on ``search_images`` images of that side (:class:`~tlcore.explain.settings.ExplainSettings`):
the shift's value whose shifted images' statistic meets the other side's mean (:func:`search_value`:
bisection over the shift's range, monotone statistics; ``rotate`` takes minus the slant difference,
``invert`` 1). A colour cast is undone on both sides (:func:`tlcore.explain.fixes.both_sides_fix`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from tlcore.data.domain import Domain
from tlcore.data.shift_table import get_shift
from tlcore.data.shifts import apply_shifts
from tlcore.explain.image_stats import BY_NAME, axial_difference, summarise
from tlcore.explain.per_image_stats import per_image_statistics

SCAN_POINTS, SEARCH_STEPS = 9, 5  # a fix's value: values scanned, then bisection steps


@dataclass(frozen=True)
class Remedy:
    """The shift that undoes a finding on ``statistic``: applied to the target, or to the side whose
    statistic is ``higher`` / ``lower``, or (``source_when_lower``) to the source and only when the
    target's statistic is lower, or to ``both`` (a normalisation every image gets, the source's too);
    its value searched in ``[low, high]`` (on a log scale when ``log``), rounded to ``step``."""

    statistic: str
    shift: str
    side: Literal["target", "higher", "lower", "source_when_lower", "both"]
    low: float
    high: float
    log: bool = False
    step: float = 0.05


REMEDIES: dict[str, Remedy] = {
    r.statistic: r
    for r in (
        Remedy("polarity", "invert", "target", 1.0, 1.0, step=1.0),
        Remedy("contrast", "contrast", "target", 0.25, 4.0, log=True),
        Remedy("ink_size", "scale", "target", 0.25, 4.0, log=True),
        Remedy("slant", "rotate", "target", -90.0, 90.0, step=1.0),
        Remedy("sharpness", "blur", "higher", 0.0, 5.0),
        Remedy("noise", "noise", "lower", 0.0, 0.5, step=0.01),
        Remedy("colour", "colour", "lower", 0.0, 1.0),
        Remedy("ink_fill", "occlusion", "source_when_lower", 0.0, 0.9),
        Remedy("cast", "standardise", "both", 1.0, 1.0, step=1.0),
    )
}


def _statistic_after(sample: Domain, shift: str, value: float, name: str, seed: int) -> float:
    shifted = apply_shifts(sample, [(shift, value)], seed)
    values = per_image_statistics(shifted.X)
    return next(s.mean for s in summarise(values) if s.name == name)


def search_value(remedy: Remedy, sample: Domain, goal: float, seed: int) -> float:
    """The value of ``remedy.shift`` on ``sample`` whose statistic meets ``goal``, rounded to
    ``remedy.step``: a scan of :data:`SCAN_POINTS` values over the range (evenly, on a log scale
    when ``remedy.log``), then bisection in the bracket where the statistic crosses ``goal`` nearest
    the shift's identity (the smallest change that does it); no crossing: the closest value scanned,
    or the identity (no fix) when none is strictly closer than it."""
    to_x = math.log if remedy.log else float
    from_x = math.exp if remedy.log else float
    lo, hi = to_x(remedy.low), to_x(remedy.high)

    def miss(x: float) -> float:
        value = _statistic_after(sample, remedy.shift, from_x(x), remedy.statistic, seed)
        return axial_difference(value, goal) if BY_NAME[remedy.statistic].kind == "axial" else value - goal

    xs = [lo + (hi - lo) * i / (SCAN_POINTS - 1) for i in range(SCAN_POINTS)]
    misses = [miss(x) for x in xs]
    brackets = [i for i in range(SCAN_POINTS - 1) if misses[i] * misses[i + 1] <= 0]
    identity = get_shift(remedy.shift).identity
    if not brackets:
        i = min(range(SCAN_POINTS), key=lambda i: abs(misses[i]))
        # no nearer than no shift (a blank side, whose statistic no value moves): no fix
        best = xs[i] if abs(misses[i]) < abs(miss(to_x(identity))) else to_x(identity)
    else:
        i = min(brackets, key=lambda i: abs((xs[i] + xs[i + 1]) / 2 - to_x(identity)))
        a, b, f_a = xs[i], xs[i + 1], misses[i]
        for _ in range(SEARCH_STEPS):
            mid = (a + b) / 2
            f_mid = miss(mid)
            if f_mid * f_a <= 0:
                b = mid
            else:
                a, f_a = mid, f_mid
        best = (a + b) / 2
    value = round(from_x(best) / remedy.step) * remedy.step
    return round(min(max(value, remedy.low), remedy.high), 4)
