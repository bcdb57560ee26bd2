"""Fixes: the registered shift that undoes a finding (:mod:`tlcore.explain.remedies`: which shift, on
which side, its value), its spec, and the check that it helps.

The fix is a spec: the side's spec with the shift added (:func:`fix_spec`, built with
:func:`tlcore.data.spec_edit.spec_parts` / :func:`~tlcore.data.spec_edit.compose_spec`; a shift the spec
already has is folded into it by :data:`COMBINE`). A colour cast is undone on both sides, each image's
channels standardised (:func:`both_sides_fix`). :func:`check_fix` loads that spec as a user would,
harmonises the pair and re-measures the gap and the target's novel share
(:func:`~tlcore.explain.check_measure.cheap_measure`, the same samples, features and settings as
before); a fix *helps* when it shrinks MMD² by at least :data:`MIN_GAIN` of its value before, and
*removes the gap* when it helps and the permutation test, which told the sides apart before it
(``p < 0.05``), no longer does after it (as :func:`tlcore.gap_level.gap_level` reads "none"). It
*clears the novelty* when the target was new (:attr:`tlcore.metrics.coverage.Novelty.level`) before
it and is covered after it: an appearance change alone moves every sample away from the source, and
the novel share read before the fix is then no evidence of new data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tlcore.data.domain import Domain
from tlcore.data.harmonise import harmonise, pair_image_shape
from tlcore.data.shift_table import get_shift
from tlcore.data.spec_edit import compose_spec, spec_parts
from tlcore.errors import TLError
from tlcore.explain.check_measure import CheckMeasure, cheap_measure
from tlcore.explain.evidence import NoveltySummary
from tlcore.explain.image_stats import ImageStats, axial_difference, image_stats, sample_index
from tlcore.explain.remedies import REMEDIES, Remedy, search_value
from tlcore.explain.settings import ExplainSettings
from tlcore.metrics.coverage import SIGNIFICANCE

Side = Literal["source", "target"]
SIDES: tuple[Side, Side] = ("source", "target")
# a spec and the image_shape its files decode to (None: their own) -> its domain, with the pair's seed
Loader = Callable[[str, tuple[int, ...] | None], Domain]
MIN_GAIN = 0.1  # a fix helps when it shrinks the checked MMD² by at least this share


# A shift already in the spec, then the fix on top, as one value of that shift (rotations add, zooms
# and contrast factors multiply, Gaussian blurs and noises add in quadrature, inverting with
# probabilities a then b inverts a share a(1 - b) + (1 - a) b).
COMBINE: dict[str, Callable[[float, float], float]] = {
    "rotate": lambda a, b: (a + b + 180.0) % 360.0 - 180.0,
    "scale": lambda a, b: a * b,
    "contrast": lambda a, b: a * b,
    "blur": math.hypot,
    "noise": math.hypot,
    "invert": lambda a, b: a * (1 - b) + (1 - a) * b,
}


def relative_change(before: float, after: float) -> float:
    """``(after - before) / before``, the change of MMD² (0 when there was no gap to shrink)."""
    return (after - before) / before if before > 0 else 0.0


def shrinks(before: float, after: float) -> bool:
    """Whether MMD² going from ``before`` to ``after`` is a fix helping: it falls by at least
    :data:`MIN_GAIN` of ``before``."""
    return relative_change(before, after) <= -MIN_GAIN


@dataclass(frozen=True)
class FixCheck:
    """The gap before and after a fix (:func:`~tlcore.explain.check_measure.cheap_measure`), the
    findings the fix makes go away, the permutation test's p-values and the target's novel share
    before and after it (``None`` when not known)."""

    mmd2_before: float
    mmd2_after: float
    a_distance_before: float
    a_distance_after: float
    n_source: int
    n_target: int
    resolves: tuple[str, ...] = ()
    p_value_before: float | None = None
    p_value_after: float | None = None
    novelty_before: NoveltySummary | None = None
    novelty_after: NoveltySummary | None = None

    @property
    def relative_change(self) -> float:
        """``(mmd2_after - mmd2_before) / mmd2_before`` (0 when there was no gap to shrink)."""
        return relative_change(self.mmd2_before, self.mmd2_after)

    @property
    def helps(self) -> bool:
        return shrinks(self.mmd2_before, self.mmd2_after)

    @property
    def removes_gap(self) -> bool:
        """It helps and the test after it finds no gap (module docstring)."""
        before, after = self.p_value_before, self.p_value_after
        return self.helps and before is not None and after is not None and before < SIGNIFICANCE <= after

    @property
    def clears_novelty(self) -> bool | None:
        """Whether the target, new before the fix, is covered after it (module docstring); ``None``
        when the check cannot tell: not measured, or not new before it in the check's features."""
        before, after = self.novelty_before, self.novelty_after
        if before is None or after is None or not before.new:
            return None
        return not after.new

    def describe_novelty(self, arrow: str = "->") -> str:
        """``46% -> 1% (covered)``: the novel share before and after and the level after it
        (:attr:`tlcore.metrics.coverage.Novelty.level`: ``above chance`` when new, else ``covered``);
        empty when not measured."""
        before, after = self.novelty_before, self.novelty_after
        if before is None or after is None:
            return ""
        state = "above chance" if after.new else "covered"
        return f"{before.shown()} {arrow} {after.shown()} ({state})"

    @property
    def shrinks_by(self) -> float:
        """The share of MMD² removed, in [0, 1] (unbiased MMD² after may dip below 0: at most all)."""
        return min(1.0, max(0.0, -self.relative_change))

    def describe_change(self) -> str:
        """``-55%``, ``-100%, removes the gap``, ``+9%, does not help``, or that there was no gap."""
        if self.mmd2_before <= 0:
            return "no measurable gap to shrink: MMD² was at most 0 before"
        change = f"{100 * max(self.relative_change, -1.0):+.0f}%"
        if self.removes_gap:
            return f"{change}, removes the gap"
        return change if self.helps else f"{change}, does not help"

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "relative_change": self.relative_change,
            "helps": self.helps,
            "removes_gap": self.removes_gap,
            "clears_novelty": self.clears_novelty,
        }


@dataclass(frozen=True)
class Fix:
    """Apply ``shift=value`` to the ``side``: ``spec`` is that side's spec with it (``None`` when the
    side is not named by a spec); ``check`` the measured effect (``None`` with the reason in
    ``note`` when it was not checked). A combined fix (:func:`tlcore.explain.fix_checks.combined_fix`)
    applies its ``parts`` together: ``loads`` holds each changed side's spec, its first part's
    ``shift``, ``value``, ``side`` and that side's ``spec`` stand for it."""

    shift: str
    value: float
    side: Side
    spec: str | None
    check: FixCheck | None = None
    note: str = ""
    parts: tuple[Fix, ...] = ()
    loads: tuple[tuple[Side, str], ...] = ()

    @property
    def helps(self) -> bool:
        return self.check is not None and self.check.helps

    @property
    def changes(self) -> dict[Side, str]:
        """The spec to load for each side it changes (none without a spec)."""
        if self.parts:
            return dict(self.loads)
        return {} if self.spec is None else {self.side: self.spec}

    @property
    def words(self) -> str:
        """``invert=1 on the target``; combined: ``invert=1,rotate=-76 on the target``."""
        parts = self.parts or (self,)
        sides = dict.fromkeys(p.side for p in parts)
        return " and ".join(
            f"{','.join(f'{p.shift}={p.value:g}' for p in parts if p.side == side)} on the {side}"
            for side in sides
        )

    def describe(self) -> str:
        """``invert=1 on the target: use upload:scans.zip:invert=1``."""
        uses = " and ".join(
            f"the {side} {spec}" if self.parts else spec for side, spec in self.changes.items()
        )
        return f"{self.words}: use {uses}" if uses else self.words

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["check"] = None if self.check is None else self.check.to_dict()
        out["helps"] = self.helps
        out["parts"] = [part.to_dict() for part in self.parts]
        return out


def fix_side(remedy: Remedy, source_value: float, target_value: float) -> Side | None:
    """The side a remedy changes, ``None`` when it does not apply in this direction."""
    if remedy.side == "target":
        return "target"
    if remedy.side == "source_when_lower":
        return "source" if target_value < source_value else None
    higher: Side = "target" if target_value > source_value else "source"
    lower: Side = "source" if higher == "target" else "target"
    return higher if remedy.side == "higher" else lower


def fix_spec(spec: str, shift: str, value: float, *, last: bool = False) -> str:
    """``spec`` with ``shift=value`` added (folded by :data:`COMBINE` into a value it already has),
    in the registry's order or (``last``) applied after the spec's shifts; a one-line
    :class:`TLError` when it cannot be written or leaves the shift's range."""
    base, n, shifts, drop_blank = spec_parts(spec)
    if shift in shifts:
        if shift not in COMBINE:
            raise TLError(f"{spec} already has {shift}={shifts[shift]:g}; another {shift} does not add to it")
        value = COMBINE[shift](shifts[shift], value)
    value = get_shift(shift).check(round(value, 4))
    return compose_spec(base, n, {**shifts, shift: value}, drop_blank, in_order=last)


@dataclass(frozen=True)
class PairContext:
    """What estimating and checking a fix needs: the harmonised pair, the statistics and specs of
    each side (a spec ``None`` when the side is not named by one) and the settings."""

    source: Domain
    target: Domain
    stats: dict[Side, ImageStats]
    specs: dict[Side, str | None]
    settings: ExplainSettings

    def domain(self, side: Side) -> Domain:
        return self.source if side == "source" else self.target


def estimate_fix(statistic: str, pair: PairContext) -> Fix | None:
    """The fix of a finding on ``statistic`` (not checked yet), or ``None`` when no remedy applies:
    no registered shift covers it, the polarities agree, or the value found changes nothing."""
    remedy = REMEDIES.get(statistic)
    if remedy is None or remedy.side == "both":
        return None if remedy is None else both_sides_fix(remedy.shift, remedy.low, pair)
    s, t = pair.stats["source"].get(statistic).mean, pair.stats["target"].get(statistic).mean
    side = fix_side(remedy, s, t)
    if side is None or (remedy.shift == "invert" and s * t >= 0):
        return None
    if remedy.shift == "invert":
        value = 1.0
    elif remedy.shift == "rotate":
        value = float(round(-axial_difference(t, s)))
    else:
        domain, goal = pair.domain(side), t if side == "source" else s
        seed = pair.settings.seed
        sample = domain.subset(sample_index(domain.n_samples, pair.settings.search_images, seed))
        value = search_value(remedy, sample, goal, seed)
    if value == get_shift(remedy.shift).identity:
        return None
    spec = pair.specs[side]
    if spec is None:
        return Fix(remedy.shift, value, side, None, note=f"the {side} is not named by a spec")
    try:
        return Fix(remedy.shift, value, side, fix_spec(spec, remedy.shift, value))
    except TLError as exc:
        return Fix(remedy.shift, value, side, None, note=str(exc))


def both_sides_fix(shift: str, value: float, pair: PairContext) -> Fix:
    """``shift=value`` on both sides, its parts (not checked yet); why not in its note."""
    if None in pair.specs.values():
        return Fix(shift, value, "source", None, note="a side is not named by a spec")
    try:
        specs = {side: fix_spec(pair.specs[side] or "", shift, value) for side in SIDES}
    except TLError as exc:
        return Fix(shift, value, "source", None, note=str(exc))
    parts = tuple(Fix(shift, value, side, spec) for side, spec in specs.items())
    return Fix(shift, value, "source", specs["source"], parts=parts, loads=tuple(specs.items()))


def check_fix(
    fix: Fix, pair: PairContext, before: CheckMeasure, load: Loader
) -> tuple[FixCheck, dict[Side, ImageStats]]:
    """Load the fix's specs (:attr:`Fix.changes`), harmonise the pair, re-measure: the check (without
    ``resolves``) and the statistics of each fixed side (on ``check_samples`` images)."""
    changes, settings = fix.changes, pair.settings
    if not changes:
        raise TLError(f"the fix {fix.words} has no spec to load")
    source = load(changes["source"], None) if "source" in changes else pair.domain("source")
    # a fixed target's files decoded straight to the source's size, as a run loads its target
    target = (
        load(changes["target"], pair_image_shape(source)) if "target" in changes else pair.domain("target")
    )
    new: dict[Side, Domain] = dict(zip(SIDES, harmonise(source, target), strict=True))
    after = cheap_measure(new["source"], new["target"], settings)
    stats = {
        side: image_stats(new[side], max_images=settings.check_samples, seed=settings.seed)
        for side in changes
    }
    check = FixCheck(
        mmd2_before=before.gap.mmd2,
        mmd2_after=after.gap.mmd2,
        a_distance_before=before.gap.a_distance,
        a_distance_after=after.gap.a_distance,
        n_source=after.gap.n_source,
        n_target=after.gap.n_target,
        p_value_before=before.gap.p_value,
        p_value_after=after.gap.p_value,
        novelty_before=before.novelty,
        novelty_after=after.novelty,
    )
    return check, stats
