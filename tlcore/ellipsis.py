"""Text cut to fit a width, an ellipsis where it was cut: one rule for every unit of width.

``measure`` says how wide a text is: characters (``len``: chart labels), terminal columns
(:func:`tlcore.cli.output.display_width`: East Asian wide characters count two) or pixels of a font
(``ImageDraw.textlength``: thumbnail captions). A text that fits is returned whole; else the longest
part that fits beside :data:`ELLIPSIS`, the space next to the cut dropped. Widths grow with the
characters kept, so the longest fit is found by bisection.
"""

from __future__ import annotations

from collections.abc import Callable

ELLIPSIS = "…"


def _longest(fits: Callable[[int], bool], n: int) -> int:
    """The largest ``k`` in ``0..n`` with ``fits(k)`` (``fits(0)`` taken as true), by bisection."""
    low, high = 0, n
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def keep_start(text: str, width: float, measure: Callable[[str], float] = len) -> str:
    """``text`` when ``measure(text) <= width``, else its longest start that fits before an ellipsis."""
    if measure(text) <= width:
        return text
    kept = _longest(lambda k: measure(text[:k].rstrip() + ELLIPSIS) <= width, len(text) - 1)
    return text[:kept].rstrip() + ELLIPSIS


def keep_end(text: str, width: float, measure: Callable[[str], float] = len) -> str:
    """``text`` when ``measure(text) <= width``, else its longest end that fits after an ellipsis."""
    if measure(text) <= width:
        return text
    kept = _longest(lambda k: measure(ELLIPSIS + text[len(text) - k :].lstrip()) <= width, len(text) - 1)
    return ELLIPSIS + text[len(text) - kept :].lstrip()
