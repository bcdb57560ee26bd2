"""The drifted columns of a feature-vector pair as every view shows them (the CLI's ``diagnose`` lists
them itself: :mod:`tlcore.cli.explain_text`): the order, a table row per column, the note under it. A
text column (:class:`~tlcore.explain.text_drift.TextDrift`) shows its mix of values instead of means
and spreads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tlcore.explain.columns import ROW_NUMBER_SHARE, ColumnDrift, Drift, chance_note, ranked_columns
from tlcore.explain.result import Explanation
from tlcore.explain.text_drift import NAMED_MOVES, TV_MILD, TV_STRONG, TextDrift
from tlcore.numbers import sds, significant

NUMBERS = ("source mean", "target mean", "shift (source SDs)", "spread ratio", "shape MMD²")
MIX = "text values (source -> target)"  # a text column's cell, a table's column when it has one
MIX_SHOWN = NAMED_MOVES  # the changes a mix names in Diagnose's table (one row height for all: 1-2 lines)

TEXT_READING = (  # how a text column is read (:mod:`tlcore.explain.text_drift`), when the pair has one
    "one column (its 0/1 columns, text=onehot), read as its mix of values: the total variation between "
    f"the two sides' shares, mild from {TV_MILD:.2f}, strong from {TV_STRONG:.2f} (that of two normals "
    "0.5 / 1 SD apart); its share of the gap with the target given the source's mix (the fewest rows "
    "changed); its test a chi-square test of the value counts, adjusted with the others'"
)


def _share_cell(column: Drift) -> str:
    """A column's share of the gap in the table: ``79%``, '' when not measured, and for a row number,
    set aside, why it has none (as ``diagnose`` says it)."""
    if column.row_number:
        return ROW_NUMBER_SHARE
    return "" if column.share is None else f"{100 * column.share:.0f}%"


def _numbers(column: Drift) -> dict[str, str]:
    """A numeric column's means, shift, spread ratio and shape; blank for a text column. The shift of a
    column constant in the source is not in source SDs, as the heading says, and its cell says so:
    ``+2.7 in its own units`` (:attr:`~tlcore.explain.columns.ColumnDrift.moved`)."""
    if not isinstance(column, ColumnDrift):
        return dict.fromkeys(NUMBERS, "")
    c = column
    shift = c.moved if c.own_units else sds(c.shift)
    cells = (significant(c.source_mean), significant(c.target_mean), shift)
    return dict(zip(NUMBERS, (*cells, c.ratio(), significant(c.shape, 3)), strict=True))


def column_rows(columns: Sequence[Drift], shown: int | None = None) -> list[dict[str, Any]]:
    """One table row per column, in the order given: severity, share, then a text column's mix of
    values in a column of its own when there is one (its ``shown`` largest changes and how many more,
    :meth:`~tlcore.explain.text_drift.TextDrift.mix_of`; every one when None, as the HTML report), then
    means, spreads, shape (the numbers' columns left out when no column is numeric). Severity and share
    come first: after a wide mix column they were off the right edge of Diagnose's table at 1280 px
    (QA helper-218)."""
    texts = any(isinstance(c, TextDrift) for c in columns)
    numbers = any(isinstance(c, ColumnDrift) for c in columns)
    return [
        {"column": c.name, "severity": c.severity, "share of the gap": _share_cell(c)}
        | ({MIX: c.mix_of(shown) if isinstance(c, TextDrift) else ""} if texts else {})
        | (_numbers(c) if numbers else {})
        for c in columns
    ]


def cut_mixes(columns: Sequence[Drift], shown: int = MIX_SHOWN) -> list[tuple[str, str]]:
    """``(name, whole mix)`` of each text column among ``columns`` whose mix :func:`column_rows` cuts to
    ``shown`` changes: the page says them whole under its table."""
    return [(c.name, c.mix) for c in columns if isinstance(c, TextDrift) and c.mix_of(shown) != c.mix]


def drifted_columns(explanation: Explanation) -> list[Drift]:
    """The drifted columns as every view lists them (:func:`~tlcore.explain.columns.ranked_columns`)."""
    return ranked_columns(c for c in explanation.columns if c.fires)


def columns_lead(explanation: Explanation) -> str:
    """The lead sentence under the columns table: how many moved, and those that differ by chance-sized
    amounts when there are some (:func:`~tlcore.explain.columns.chance_note`)."""
    chance = chance_note(explanation.columns, explanation.settings.fdr)
    aside = f" {chance[0].upper()}{chance[1:]}." if chance else ""
    return f"{len(drifted_columns(explanation))} of {len(explanation.columns)} columns moved.{aside}"


def columns_reading(explanation: Explanation) -> list[tuple[str, str]]:
    """How the columns table reads, ``(what, its meaning)`` per line: its numbers, severities, shares
    and test (Diagnose's 8-line caption as a list: QA helper-246)."""
    shares = explanation.shares
    capped = "" if shares is None or "columns" not in shares.notes else f" ({shares.notes['columns']})"
    constant = any(isinstance(c, ColumnDrift) and c.own_units for c in drifted_columns(explanation))
    own = "; a column constant in the source has none, its shift is in its own units" if constant else ""
    lines = [
        (NUMBERS[2], f"the target's mean shift in source standard deviations{own}"),
        (NUMBERS[3], "the ratio of spreads (target / source)"),
        (NUMBERS[4], "the MMD² of the column, each side standardised"),
        (
            "severity",
            "mild from 0.5 SD, 1.5x or a shape like a 0.5 SD shift's, strong from 1 SD, 2x or a 1 SD shift's",
        ),
        (
            "share of the gap",
            "how much MMD² falls with the target's column matched to the source's mean and spread, "
            f"measured {explanation.basis}{capped}",
        ),
        (
            "moved",
            "only when a Kolmogorov-Smirnov test of its two sides finds it at a "
            f"{explanation.settings.fdr:.0%} false discovery rate over the columns",
        ),
    ]
    text = any(isinstance(c, TextDrift) for c in explanation.columns)
    return lines + ([("a text column", TEXT_READING)] if text else [])


def columns_note(explanation: Explanation) -> str:
    """:func:`columns_lead` and :func:`columns_reading` in one paragraph (the HTML report's note)."""
    reading = " ".join(
        f"{what[0].upper()}{what[1:]}: {meaning}." for what, meaning in columns_reading(explanation)
    )
    return f"{columns_lead(explanation)} {reading}"
