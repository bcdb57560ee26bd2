"""Every colour a chart draws with reads on both of the app's pages: a WCAG contrast of at least 3
(graphics) against the light and the dark theme's background, as ``.streamlit/config.toml`` sets them
(QA, a demo in dark mode on a projector: #98df8a at 1.6 on white, #1f3b73 at 1.7 on the dark page).
The contrast is computed here (tests.app.helpers), not by the palette under test."""

from __future__ import annotations

import colorsys

import pytest

from tests.app.helpers import DARK_PAGE, LIGHT_PAGE, contrast, random_label_shift, rgba
from tlcore.explain.findings import Finding
from tlcore.views import explain_figures, figures, palette

GRAPHICS = 3.0  # WCAG 2.1 1.4.11, non-text contrast
PAGES = (LIGHT_PAGE, DARK_PAGE)


def worst(colour: str) -> float:
    return min(contrast(colour, page) for page in PAGES)


def test_the_palette_knows_the_pages_the_config_sets() -> None:
    assert palette.PAGES == (LIGHT_PAGE, DARK_PAGE)
    assert palette.MIN_CONTRAST == GRAPHICS


def test_every_category_colour_reads_on_the_light_and_the_dark_page() -> None:
    colours = [palette.category_colour(i) for i in range(300)]
    low = {colour: round(worst(colour), 2) for colour in colours if worst(colour) < GRAPHICS}
    assert low == {}  # before: 15 of the fixed 30 (#98df8a 1.58, #1f3b73 1.66, #bcbd22 2.01, ...)
    assert len(set(colours)) == 300  # still one colour per class


def test_the_fixed_chart_colours_read_on_both_pages() -> None:
    fixed = {
        "good": figures.GOOD,
        "bad": figures.BAD,
        "neutral": figures.NEUTRAL,
        "within chance": palette.WITHIN_CHANCE,
        **figures.DOMAIN_COLOURS,
        **{f"severity {k}": v for k, v in explain_figures.SEVERITY_COLOURS.items()},
    }
    low = {name: round(worst(colour), 2) for name, colour in fixed.items() if worst(colour) < GRAPHICS}
    assert low == {}  # before: the target's orange 2.91 and a mild finding's amber 2.16 on white


def test_the_class_proportions_bars_read_on_both_pages_and_the_long_title_wraps() -> None:
    estimate = random_label_shift()
    fig = explain_figures.class_proportions_figure(estimate)
    assert min(worst(bar.marker.color) for bar in fig.data) >= GRAPHICS
    assert not estimate.trusted  # random logits: "Class proportions: estimates not to be trusted"
    lines = fig.layout.title.text.split("<br>")  # in half the page: on one line cut at 1024 px
    assert len(lines) == 2 and max(map(len, lines)) <= figures.TITLE_WRAP


def test_readable_moves_only_the_lightness_of_a_colour_that_misses() -> None:
    assert palette.readable("#3b6fd4") == "#3b6fd4"  # 4.8 on white, 3.8 on the dark page: kept
    for before in ("#98df8a", "#1f3b73"):  # too light for white; too dark for the dark page
        after = palette.readable(before)
        assert worst(before) < GRAPHICS <= worst(after) < GRAPHICS + 0.1  # the nearest that reads
        hue_before, _, _ = colorsys.rgb_to_hls(*(c / 255 for c in rgba(before)[:3]))
        hue_after, _, _ = colorsys.rgb_to_hls(*(c / 255 for c in rgba(after)[:3]))
        assert hue_after == pytest.approx(hue_before, abs=0.01)


def test_the_findings_axis_title_takes_two_lines() -> None:
    """On one line it was wider than the plot beside the features' names and ran off at 1024 px."""
    finding = Finding(
        "contrast", "contrast (std of the pixels)", 0.3, 0.27, -0.7, "mild", "less contrast", "m"
    )
    fig = explain_figures.findings_figure([finding])
    lines = fig.layout.xaxis.title.text.split("<br>")
    assert len(lines) == 2 and max(map(len, lines)) <= figures.SUBTITLE_WRAP
