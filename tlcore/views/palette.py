"""The categorical colours: :data:`PALETTE` (the README's screenshots), a second set past its 15, and
generated hues past both, so the 16th class no longer repeats the first (QA: at 20 classes Sandal had
digit 0's blue)."""

from __future__ import annotations

import colorsys

PALETTE = (
    "#3b6fd4", "#e8793a", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#1f3b73", "#f2b880", "#98df8a", "#ff9896", "#c5b0d5",
)  # fmt: skip
# picked from Plotly's qualitative sets, each the farthest (CIELAB) from those before it, CIELAB
# lightness 35-80 so they read on a light and a dark page: each at least 25 from every other, as
# close as PALETTE's own nearest pair (26)
MORE = (
    "#511cfb", "#fe00fa", "#fc0080", "#6c7c32", "#990099",
    "#feaf16", "#1b9e77", "#ab63fa", "#2f8ac4", "#fc1cbf",
    "#86ce00", "#a6761d", "#94346e", "#dc587d", "#af0038",
)  # fmt: skip
# a change within chance (McNemar, tlcore.metrics.mcnemar): a sand neither green nor red, as light as
# the source-only bars' grey (contrast 1.0 to it, so it neither stands out nor fades) but warm beside it
WITHIN_CHANCE = "#b08d57"
GOLDEN_ANGLE = 137.508  # degrees: successive hues spread evenly round the circle, none repeated


def category_colour(i: int) -> str:
    """The ``i``-th category's colour: :data:`PALETTE`, then :data:`MORE`, then hues turned by the
    golden angle at alternating lightness (the first 640 all distinct)."""
    fixed = (*PALETTE, *MORE)
    if i < len(fixed):
        return fixed[i]
    k = i - len(fixed)
    red, green, blue = colorsys.hls_to_rgb((k * GOLDEN_ANGLE / 360) % 1, 0.45 + 0.15 * (k % 2), 0.65)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
