"""Findings: each image statistic compared source vs target, with a severity and plain words.

The severity of a statistic is its standardised difference (Cohen's d),

    d = (mean_t - mean_s) / max(sqrt((std_s^2 + std_t^2) / 2), floor),

with the spreads over images from :mod:`tlcore.explain.image_stats` and ``floor`` the statistic's
smallest spread that matters (:class:`~tlcore.explain.image_stats.StatisticDef`); ``slant`` takes the
axial difference of its means. ``|d| < 0.5`` is ``none``, ``0.5 <= |d| < 1`` ``mild``, ``|d| >= 1``
``strong``. A difference counts only when Welch's t-test of the two means finds it at the false
discovery rate :attr:`~tlcore.explain.settings.ExplainSettings.fdr` over the statistics compared
(:mod:`tlcore.metrics.feature_tests`): otherwise it is ``none``, within chance (30 images a side of one
distribution differ by half a standard deviation in one of the statistics in most draws). The native
size compares pixel counts instead: ``d = log2(pixels_t / pixels_s)``, ``mild`` from a factor 2,
``strong`` from 4.

Blank images (no ink) are left out of the statistics of the ink on each side; a finding on one says
how many a side had, and a side none of whose images has ink is not compared (severity ``none``). The
whole-image statistics (background, brightness, contrast, range, noise, colour) keep a few: empty scans
are part of what a side looks like (they do lower its contrast), so a finding on one says how many
were counted instead of hiding them; from :data:`~tlcore.explain.image_stats.BLANK_MIN` of a side's
images on, they leave them out too (the verdict names the blank images as a cause of their own).

Polarity is compared only when both sides are ink-like
(:attr:`~tlcore.explain.image_stats.ImageStats.ink_like`): on colour photos its finding says in one
line why it was not compared, and no inversion is offered (a darker photo is not inverted ink). Its
test still counts among the statistics adjusted for, so the other findings do not change with it. On
such a pair the ink's other statistics are named as the foreground's ("the target has less
foreground"; :meth:`~tlcore.explain.image_stats.StatisticDef.label_on`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tlcore.explain.image_stats import (
    BY_NAME,
    INK_COLOUR,
    STATISTICS,
    ImageStats,
    StatisticDef,
    axial_difference,
    photo_pair,
)
from tlcore.metrics.feature_tests import fdr_adjusted, welch_p_value
from tlcore.numbers import sds, significant

if TYPE_CHECKING:
    from tlcore.explain.fixes import Fix

Severity = Literal["none", "mild", "strong"]
WITHIN_CHANCE = "Not counted, within chance at these sample sizes"  # the heading of those findings
MILD, STRONG = 0.5, 1.0  # |standardised difference| thresholds
SIZE_MILD, SIZE_STRONG = 1.0, 2.0  # |log2 pixel ratio| thresholds: a factor 2, 4
NATIVE_SIZE = "native_size"
NOT_COMPARED = "not compared"  # a statistic with no value on a side (no image there has ink)


def value_text(x: float) -> str:
    """A statistic's value as a finding's sentence and its table cell both write it (QA: ``0.132`` in
    the sentence beside ``0.1317`` in its cell): :func:`~tlcore.numbers.significant`, or
    :data:`NOT_COMPARED`."""
    return significant(x) if math.isfinite(x) else NOT_COMPARED


# What a higher / lower target value means, in words ("the target has ... than the source").
_WORDS: dict[str, tuple[str, str]] = {
    "background": ("a lighter background", "a darker background"),
    "brightness": ("brighter images", "darker images"),
    "contrast": ("more contrast", "less contrast"),
    "range": ("a wider intensity range", "a narrower intensity range"),
    "ink_fill": ("more ink", "less ink"),
    "ink_size": ("larger objects in the frame", "smaller objects in the frame"),
    "centre_x": ("objects further right", "objects further left"),
    "centre_y": ("objects lower in the frame", "objects higher in the frame"),
    "slant": ("objects turned further counter-clockwise", "objects turned further clockwise"),
    "sharpness": ("sharper images", "blurrier images"),
    "noise": ("noisier images", "cleaner images"),
    "colour": ("more colour", "less colour"),
    "cast": ("a bluer colour cast", "a redder colour cast"),
}
_PHOTO_WORDS = {"ink_fill": ("more foreground", "less foreground")}  # on colour photos, where they differ


@dataclass(frozen=True)
class Finding:
    """One statistic compared source vs target; ``fix`` is set when a registered shift undoes it
    (see :mod:`tlcore.explain.fixes`) and was estimated, checked or not."""

    statistic: str
    label: str
    source: float
    target: float
    difference: float  # standardised difference (native size: log2 of the pixel ratio)
    severity: Severity
    title: str  # a few words: "the target has less contrast"
    message: str  # a sentence with the numbers
    fix: Fix | None = None
    q_value: float | None = None  # Welch's test, adjusted over the statistics (None: native size)

    @property
    def fires(self) -> bool:
        return self.severity != "none"

    @property
    def within_chance(self) -> bool:
        """At least mild in size, but Welch's test does not find it (module docstring)."""
        return not self.fires and self.q_value is not None and severity_of(self.difference) != "none"

    def with_fix(self, fix: Fix | None) -> Finding:
        return replace(self, fix=fix)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: a side's value that no image has (NaN, see :func:`compare`) reads ``None``."""
        out = asdict(self)
        out["fix"] = None if self.fix is None else self.fix.to_dict()
        for side in ("source", "target"):
            out[side] = out[side] if math.isfinite(out[side]) else None
        return out


def turned_the_other_way(finding: Finding) -> Finding:
    """A slant's finding read as a turn the other way round: its difference negated, its words and
    numbers rewritten (a slant is an axis: a difference near ±90° is either;
    :func:`tlcore.explain.fix_checks.signed_rotation` picks the sign by checking both)."""
    more, less = _WORDS[finding.statistic]
    was, now = (more, less) if finding.difference > 0 else (less, more)
    d = finding.difference
    return replace(
        finding,
        difference=-d,
        title=finding.title.replace(was, now),
        message=finding.message.replace(was, now).replace(f"{sds(d)} standard", f"{sds(-d)} standard"),
    )


def severity_of(difference: float, mild: float = MILD, strong: float = STRONG) -> Severity:
    size = abs(difference)
    return "strong" if size >= strong else "mild" if size >= mild else "none"


def standardised_difference(source: ImageStats, target: ImageStats, name: str) -> float:
    """Cohen's d of statistic ``name``, target minus source (see the module docstring)."""
    s, t, definition = source.get(name), target.get(name), BY_NAME[name]
    diff = axial_difference(t.mean, s.mean) if definition.kind == "axial" else t.mean - s.mean
    return diff / max(math.sqrt((s.std**2 + t.std**2) / 2), definition.floor)


def _words(name: str, d: float, photos: bool) -> str:
    """What the target has more or less of (``d``'s sign), on colour ``photos`` or ink-like images."""
    words = _PHOTO_WORDS.get(name) if photos else None
    return (words or _WORDS[name])[0 if d > 0 else 1]


def _title(name: str, s: float, t: float, d: float, photos: bool) -> str:
    if name != "polarity":
        return f"the target has {_words(name, d, photos)}"
    if s * t < 0:
        return f"the target's polarity is reversed ({'dark on light' if t < 0 else 'light on dark'})"
    return "the target mixes polarities differently"


def _message(
    name: str,
    s: float,
    t: float,
    d: float,
    severity: Severity,
    *,
    photos: bool = False,
    blank: str = "",
    chance: str = "",
) -> str:
    values = f"{value_text(s)} -> {value_text(t)}"
    numbers = f"{BY_NAME[name].label_on(photos)} {values}, {sds(d)} standard deviations{blank}"
    if chance:
        return f"Alike within chance: {numbers} ({chance})."
    if severity == "none":
        return f"Alike: {numbers}."
    if name == "polarity" and s * t < 0:
        ink = "dark ink on a light background" if t < 0 else "light ink on a dark background"
        return f"The target is mostly {ink}, the source the other way round ({numbers})."
    if name == "polarity":
        return f"The share of images with light ink on a dark background differs ({numbers})."
    return f"The target has {_words(name, d, photos)} than the source ({numbers})."


def compare(source: ImageStats, target: ImageStats, fdr: float) -> list[Finding]:
    """One finding per statistic of :data:`~tlcore.explain.image_stats.STATISTICS`, then the native
    size; a difference counts at the false discovery rate ``fdr`` (module docstring); no fixes yet
    (:func:`tlcore.explain.fixes.estimate_fix` adds them)."""
    findings = []
    photos = photo_pair(source, target)  # the ink is a photo's foreground
    blank = {
        ink: "; ".join(
            x
            for x in (
                source.describe_blank("source", ink, photos),
                target.describe_blank("target", ink, photos),
            )
            if x
        )
        for ink in (True, False)
    }
    compared = [d for d in STATISTICS if math.isfinite(source.get(d.name).mean + target.get(d.name).mean)]
    q = dict(zip((d.name for d in compared), _q_values(source, target, compared), strict=True))
    for definition in STATISTICS:
        name = definition.name
        s, t = source.get(name).mean, target.get(name).mean
        note = f"; {blank[definition.ink]}" if blank[definition.ink] else ""
        label = definition.label_on(photos)
        if name not in q:  # a side without any image with ink, or (cast) with colour
            why = "a side's images are grey" if name == "cast" else blank[True]
            title, message = f"{label}: not compared", f"Not compared: {why}."
            findings.append(Finding(name, label, s, t, 0.0, "none", title, message))
            continue
        d = standardised_difference(source, target, name)
        if name == "polarity" and (skipped := polarity_skipped(source, target)):
            title, message = f"{label}: not compared", f"Not compared: {skipped}."
            findings.append(Finding(name, label, s, t, 0.0, "none", title, message))
            continue
        severity = severity_of(d) if q[name] <= fdr else "none"
        chance = (
            ""
            if severity_of(d) == severity
            else f"Welch's test: q = {q[name]:.2g}, above the {fdr:.0%} false discovery rate"
        )
        title = f"{label}: alike" if severity == "none" else _title(name, s, t, d, photos)
        message = _message(name, s, t, d, severity, photos=photos, blank=note, chance=chance)
        findings.append(Finding(name, label, s, t, d, severity, title, message, q_value=q[name]))
    findings.append(native_size_finding(source, target))
    return findings


def polarity_skipped(source: ImageStats, target: ImageStats) -> str:
    """Why polarity is not compared on this pair ('' when it is: both sides ink-like, module
    docstring), in a few words: the sides' colour spreads."""
    if source.ink_like and target.ink_like:
        return ""
    spreads = f"colour spread {source.get('colour').mean:.2f} source, {target.get('colour').mean:.2f} target"
    return (
        f"colour images ({spreads}; ink-like below {INK_COLOUR:g}): light or dark ink describes ink on "
        "paper, not photos, so no inversion is offered"
    )


def _q_values(source: ImageStats, target: ImageStats, compared: list[StatisticDef]) -> list[float]:
    """Welch's test of each compared statistic's means, adjusted over them (module docstring)."""
    p = []
    for definition in compared:
        s, t = source.get(definition.name), target.get(definition.name)
        diff = axial_difference(t.mean, s.mean) if definition.kind == "axial" else t.mean - s.mean
        p.append(welch_p_value(diff, (s.std, t.std), (s.n, t.n)))
    return fdr_adjusted(np.asarray(p)).tolist()


def native_size_finding(source: ImageStats, target: ImageStats) -> Finding:
    """The native sizes compared by pixel count (``d = log2(pixels_t / pixels_s)``)."""
    (hs, ws), (ht, wt) = source.native_size, target.native_size
    d = math.log2((ht * wt) / (hs * ws))
    severity = severity_of(d, SIZE_MILD, SIZE_STRONG)
    sizes = f"{hs}x{ws} -> {ht}x{wt}"
    title = f"the target's images were {'smaller' if d < 0 else 'larger'} ({sizes})"
    if severity == "none":
        title = "native size: alike"
        message = f"Alike: native size {sizes}."
    elif d < 0:
        message = (
            f"The target's images were smaller ({sizes}) and were enlarged to the source's size: "
            "expect them to look blurrier."
        )
    else:
        message = f"The target's images were larger ({sizes}) and were shrunk to the source's size."
    return Finding(NATIVE_SIZE, "native size (pixels)", hs * ws, ht * wt, d, severity, title, message)
