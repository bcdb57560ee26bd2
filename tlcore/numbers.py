"""The one rule for a measured number shown as text: the CLI's lines, the HTML reports' cells, the
app's tables. Stored numbers (``--json``, run files) keep every digit; only their text is rounded.

:func:`significant` writes ``digits`` significant digits (4 for a measured value, 3 for a score or a
shift):

* in plain decimals from 0.0001 up: ``0.02191``, ``742.3``, ``0.739``;
* whole, with thousands separators, once the integer part has ``digits`` digits: ``1,797`` (not
  ``1797.59`` or ``1.797e+03``), ``646,565``;
* under 0.0001 in scientific notation, so a tiny MMD² reads ``3.2e-05``, never ``0.0000``;
* zero as ``0`` (a negative zero too), a missing or non-finite value as ``-``, ``nan``, ``inf``;
* with ``sign``, positives with a ``+`` (``+0.739``, ``+1,797``) and negatives with their ``-``.

This is Python's ``g`` format (what ``%.3g`` prints for a score, ``.4g`` for an MMD²) except above
``10**(digits - 1)``, where ``g`` switches to an exponent once rounding reaches ``10**digits``.

:func:`score_text` writes a score (a validator's, the ranking's, a sweep's selection score) for every
view and sentence: 3 significant digits. :func:`sds` writes a shift in standard deviations (3
significant digits, signed) for every view.

:func:`as_written` gives a table's float32 feature values back as their file wrote them.

Counts in words: :func:`plural` (``1 epoch``, ``3 epochs``) and :func:`first_named` (``a, b, c and 4
more``), the one way a message names the first few of a list and counts the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import SupportsFloat

DIGITS = 4  # significant digits of a measured value (a mean, an MMD², a statistic)


def significant(value: float | None, digits: int = DIGITS, *, sign: bool = False) -> str:
    """``value`` as text by the module's rule: ``digits`` significant digits, whole with thousands
    separators from ``10**(digits - 1)`` on, scientific under 0.0001, ``-`` when missing."""
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return f"{value:+}" if sign and value > 0 else f"{value}"
    if value == 0:
        return "0"
    plus = "+" if sign else ""
    if abs(float(f"{value:.{digits}g}")) >= 10 ** (digits - 1):  # 999.96 rounds to 1,000 too
        return f"{value:{plus},.0f}"
    return f"{value:{plus}.{digits}g}"


SCORE_DIGITS = 3  # significant digits of a score: a validator's, the ranking's, a sweep's selection score


def score_text(value: float | None) -> str:
    """A score as ``runs rank``, the Compare page, the HTML report, the ranking's reasons and a sweep's
    lines write it: :func:`significant` to :data:`SCORE_DIGITS`, so a tiny IWCV of -0.000238 reads as
    such, not "-0.000"; never a negative zero; "-" when missing."""
    return significant(value, SCORE_DIGITS)


def sds(shift: float) -> str:
    """A shift in standard deviations as every view writes it (a column's move in the verdict and in
    the table, an image statistic's difference in its sentence and its cell): :func:`significant` to 3
    digits, signed: ``+0.95``, ``-2.81``, ``+1,797`` (QA: ``age moved +0.9 source SDs`` beside
    ``+0.95`` for the same move)."""
    return significant(shift, 3, sign=True)


P_FLOOR = 1e-16  # a p-value below it is shown as "< 1e-16": a normal tail there is rounding, not a number


def as_written(values: Iterable[SupportsFloat]) -> list[float]:
    """Float32 values (a feature row's ``.numpy()``) as the shortest decimals that read back as them:
    a file's ``20969.27`` shows as written, not as float64's ``20969.26953125`` (which tables showed as
    ``20969.2695``: QA helper-218)."""
    return [float(str(v)) for v in values]


def p_shown(p: float) -> str:
    """A p-value as shown: ``0.391``, ``0.000177``, or ``< 1e-16`` below :data:`P_FLOOR` (a normal
    tail's p underflows to 0 at large z, and no p-value is 0)."""
    return f"< {P_FLOOR:g}" if p < P_FLOOR else f"{p:.3g}"


def p_is(p: float) -> str:
    """``p = 0.391``, ``p < 1e-16`` (:func:`p_shown`)."""
    shown = p_shown(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


SHARE_DECIMALS = 1  # decimals of a share written as a percent (an accuracy): 83.5%, as the app's tables


def percent(share: float, decimals: int = SHARE_DECIMALS) -> str:
    """A share (an accuracy, a difference of two) as a percent with ``decimals`` decimals: ``83.5%``,
    ``-1.3%``; the app's percent columns round to the same step."""
    return f"{share:.{decimals}%}"


def pct(share: float) -> str:
    """A share as a whole percent: ``31%``."""
    return percent(share, 0)


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``"1 epoch"``, ``"3 epochs"``: a count and its noun, plural unless it is 1; ``nouns``: the plural
    when it is not ``noun`` + s (``plural(2, "class", "classes")``)."""
    return f"{n} {noun if n == 1 else nouns or f'{noun}s'}"


def and_more(rest: int, noun: str = "", nouns: str | None = None) -> str:
    """`` and 3 more``, `` and 1 more run``, `` and 2 more runs``: how many of a list are not named
    (``noun``/``nouns`` as :func:`plural` takes them); ``""`` when none is left out."""
    if rest <= 0:
        return ""
    if not noun:
        return f" and {rest} more"
    return f" and {plural(rest, f'more {noun}', nouns and f'more {nouns}')}"


def and_list(words: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    listed = list(words)
    return listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} and {listed[-1]}"


def first_named(
    names: Sequence[str], shown: int, noun: str = "", nouns: str | None = None, sep: str = ", "
) -> str:
    """``a, b, c and 4 more``: the first ``shown`` of ``names`` joined by ``sep``, and how many more
    there are (:func:`and_more`); all of them when they are ``shown`` or fewer."""
    return sep.join(names[:shown]) + and_more(len(names) - shown, noun, nouns)


def shape_text(shape: Sequence[int]) -> str:
    """A domain's sample shape in words, as the Data page's Shape card and its saved uploads say it: an
    image's ``1x28x28``; a table's count of features (its 0/1 columns counted apart), ``9 features``
    (QA helper-246: a bare "9")."""
    return plural(shape[0], "feature") if len(shape) == 1 else "x".join(map(str, shape))
