"""The categorical colours: :data:`PALETTE` (the README's screenshots), a second set past its 15, and
generated hues past both, so the 16th class no longer repeats the first (QA: at 20 classes Sandal had
digit 0's blue). Every one reads on the app's light and dark page: a WCAG contrast of at least
:data:`MIN_CONTRAST` (graphics) against both of :data:`PAGES`."""

from __future__ import annotations

import colorsys
import functools
import math

PAGES = ("#ffffff", "#171614")  # the app's light and dark backgrounds: .streamlit/config.toml's
MIN_CONTRAST = 3.0  # WCAG 2.1 non-text contrast (1.4.11): a mark against the page behind it
# Plotly's qualitative colours, the pastels (#98df8a, #f2b880, ...) and the darkest (#1f3b73,
# #990099, ...) among them moved in lightness by :func:`readable` until they reach MIN_CONTRAST on both
# pages (QA: 15 of 30 missed it on one page, #98df8a at 1.6 on white, #1f3b73 at 1.7 on dark); past the
# first ten, each is the farthest (CIELAB) from those before it. Readable on both pages leaves a band of
# lightness, so the nearest pair is closer than before (20 apart in CIELAB, was 25).
PALETTE = (
    "#3b6fd4", "#e77535", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e06bbc", "#7f7f7f", "#999a1c", "#14a4b3",
    "#aa0dfe", "#fb00d1", "#fc0080", "#4c4ce7", "#1c8356",
)  # fmt: skip
MORE = (
    "#cb69fc", "#2f8ac4", "#c48a01", "#dc587d", "#b279a2",
    "#8a581c", "#be0080", "#6c7c32", "#fb0d0d", "#f46764",
    "#b100b1", "#6a76fc", "#c70040", "#6ba400", "#0daa65",
)  # fmt: skip
# a change within chance (McNemar, tlcore.metrics.mcnemar): a sand neither green nor red, as light as
# the source-only bars' grey (contrast 1.0 to it, so it neither stands out nor fades) but warm beside it
WITHIN_CHANCE = "#b08d57"
# what a bar's colour says in the accuracy chart: adapting helped, hurt, or (grey) the source-only model
GOOD, BAD, NEUTRAL = "#2a9d58", "#d62728", "#8a93a6"
MEANINGS = (GOOD, BAD, NEUTRAL, WITHIN_CHANCE)
# CIELAB distance (CIE76) under which a run's colour reads as one of MEANINGS (QA: the fourth run
# took the palette's red, BAD itself, in the gap and per-class charts beside the accuracy chart)
MEANING_DISTANCE = 25.0
GOLDEN_ANGLE = 137.508  # degrees: successive hues spread evenly round the circle, none repeated


def _hex(red: float, green: float, blue: float) -> str:
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def _rgb(colour: str) -> tuple[float, float, float]:
    return int(colour[1:3], 16) / 255, int(colour[3:5], 16) / 255, int(colour[5:7], 16) / 255


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``: 0.2126 R + 0.7152 G + 0.0722 B of the linearised
    channels (c / 12.92 up to 0.04045, else ((c + 0.055) / 1.055) ** 2.4); 0 black, 1 white."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(colour: str, background: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours: (L1 + 0.05) / (L2 + 0.05), L1 the lighter."""
    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def lab(colour: str) -> tuple[float, float, float]:
    """CIELAB ``(L*, a*, b*)`` of ``#rrggbb`` under D65: the linearised sRGB channels to XYZ, then
    ``L* = 116 f(Y) - 16``, ``a* = 500 (f(X) - f(Y))``, ``b* = 200 (f(Y) - f(Z))``, ``f(t) = t^(1/3)``
    above ``(6/29)^3``, else ``t / (3 (6/29)^2) + 4/29``."""
    red, green, blue = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour))
    x = (0.4124 * red + 0.3576 * green + 0.1805 * blue) / 0.95047
    y = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    z = (0.0193 * red + 0.1192 * green + 0.9505 * blue) / 1.08883
    fx, fy, fz = (t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in (x, y, z))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def distance(one: str, other: str) -> float:
    """CIE76 colour difference: the Euclidean distance of two colours' :func:`lab`."""
    return math.dist(lab(one), lab(other))


def readable(colour: str) -> str:
    """``colour`` itself if it has :data:`MIN_CONTRAST` on both :data:`PAGES`, else the same hue and
    saturation (HLS) at the lightness nearest its own that has: too light for the light page, it is
    darkened; too dark for the dark page, lightened (bisection on the HLS lightness)."""
    light, dark = PAGES
    if min(contrast(colour, light), contrast(colour, dark)) >= MIN_CONTRAST:
        return colour
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    lighten = contrast(colour, dark) < MIN_CONTRAST
    page = dark if lighten else light
    fails, passes = lightness, 1.0 if lighten else 0.0
    for _ in range(30):
        middle = (fails + passes) / 2
        if contrast(_hex(*colorsys.hls_to_rgb(hue, middle, saturation)), page) >= MIN_CONTRAST:
            passes = middle
        else:
            fails = middle
    return _hex(*colorsys.hls_to_rgb(hue, passes, saturation))


def category_colour(i: int) -> str:
    """The ``i``-th category's colour: :data:`PALETTE`, then :data:`MORE`, then hues turned by the
    golden angle at alternating lightness, each made :func:`readable` (the first 300 all distinct)."""
    fixed = (*PALETTE, *MORE)
    if i < len(fixed):
        return fixed[i]
    k = i - len(fixed)
    red, green, blue = colorsys.hls_to_rgb((k * GOLDEN_ANGLE / 360) % 1, 0.45 + 0.15 * (k % 2), 0.65)
    return readable(_hex(red, green, blue))


@functools.cache
def run_colour(i: int) -> str:
    """The ``i``-th run's colour in a chart of runs: the :func:`category_colour` sequence without the
    colours within :data:`MEANING_DISTANCE` of one of :data:`MEANINGS`, so that no run reads as
    better, worse, within chance or source-only."""
    found, k = -1, -1
    while found < i:
        k += 1
        if min(distance(category_colour(k), meaning) for meaning in MEANINGS) >= MEANING_DISTANCE:
            found += 1
    return category_colour(k)
