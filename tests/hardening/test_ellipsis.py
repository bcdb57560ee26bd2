"""One rule cuts text to a width (``tlcore.ellipsis``), in characters, terminal columns or pixels: the
longest start (or end) that fits beside an ellipsis, the space at the cut dropped."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from tlcore.cli.output import clipped, display_width
from tlcore.ellipsis import ELLIPSIS, keep_end, keep_start
from tlcore.views.chart_text import shorten
from tlcore.views.thumbnails import caption_lines


def test_a_start_is_cut_at_the_longest_fit_and_the_space_before_the_cut_dropped() -> None:
    assert keep_start("abcdef ghij", 11) == "abcdef ghij"
    assert keep_start("abcdef ghij", 9) == "abcdef g…"
    assert keep_start("abcdef ghij", 8) == "abcdef…"  # not "abcdef …"
    assert keep_start("abcdef ghij", 1) == ELLIPSIS
    assert shorten("abcdef ghij", 8) == "abcdef…"


def test_an_end_is_kept_for_file_names() -> None:
    assert keep_end("scans/2024/day 01/img_0001.png", 14) == "…/img_0001.png"
    assert keep_end("scans/2024/day 01/img_0001.png", 20) == "…day 01/img_0001.png"
    assert keep_end("ab cd", 4) == "…cd"  # not "… cd"
    assert keep_end("a/b.png", 7) == "a/b.png"


def test_terminal_columns_count_wide_characters_twice() -> None:
    assert keep_start("猫猫猫猫", 6, display_width) == "猫猫…"  # 5 columns; a third 猫 makes 7
    assert clipped("猫猫猫猫", 6) == "猫猫…" and clipped("Bag", 6) == "Bag"


def test_pixels_of_the_caption_font() -> None:
    """A caption's second line is cut where the font's pixels, not its characters, run out."""
    lines = caption_lines("Wide Wide Wide Wide Wide Wide Wide Wide", 60)
    assert len(lines) == 2 and lines[1].endswith(ELLIPSIS) and lines[0].startswith("Wide")


@pytest.mark.parametrize("measure", [len, display_width])
def test_bisection_finds_what_a_scan_of_every_length_finds(measure: Callable[[str], int]) -> None:
    rng = random.Random(0)
    alphabet = "ab  cé猫ねxy"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        width = rng.randint(1, 30)
        scan = next(
            (
                text[:k].rstrip() + ELLIPSIS
                for k in range(len(text) - 1, 0, -1)
                if measure(text[:k].rstrip() + ELLIPSIS) <= width
            ),
            ELLIPSIS,
        )
        assert keep_start(text, width, measure) == (text if measure(text) <= width else scan)
        ends = next(
            (
                ELLIPSIS + text[k:].lstrip()
                for k in range(1, len(text))
                if measure(ELLIPSIS + text[k:].lstrip()) <= width
            ),
            ELLIPSIS,
        )
        assert keep_end(text, width, measure) == (text if measure(text) <= width else ends)
