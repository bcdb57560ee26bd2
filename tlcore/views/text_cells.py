"""A table's row as its file wrote it, for the sample tables (Diagnose's most foreign rows, Compare's
moved predictions): values as written (:func:`~tlcore.numbers.as_written`), and a text column read as
0/1 columns (``text=onehot``) as one cell holding the row's value, where its first shown 0/1 column
stands. A row with none of the source's values holds the one value the pair report found new (``west
(never in the source)``), else :data:`NEW_VALUE`; in a column with missing cells (``missing=impute``)
:data:`MISSING`, or the new value(s) and :data:`OR_MISSING` when it holds both (``west (never in the
source), or missing``: the pair no longer tells a row's which).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tlcore.data.categories import CATEGORIES, category_columns
from tlcore.data.domain import Domain, shown_name
from tlcore.data.harmonise import PairReport
from tlcore.numbers import as_written

NEW_VALUE = "(a value the source never had)"  # a text cell of a row with none of the source's values
NEVER = "(never in the source)"  # after the one value the source never had
MISSING = "(missing)"  # a text cell of a row with none of the source's values, its column's only such
OR_MISSING = ", or missing"  # after the new value(s) of a column that also holds missing cells

RowCells = Callable[[int, Sequence[int]], dict[str, Any]]


def row_cells(domain: Domain) -> RowCells:
    """A reader of ``domain``'s rows (feature vectors, a pair's target or not): given a row's index and
    the columns to show (indices of :attr:`~tlcore.data.domain.Domain.column_names`, in the order
    shown), its cells by column name (module rules; a place of a file without a header by its column of
    the file, :func:`~tlcore.data.domain.shown_name`). A text column is decoded from all its 0/1
    columns, shown where the first of them stands in the columns given, when one of them is given."""
    names = domain.column_names
    encoded = category_columns(domain.meta.get(CATEGORIES) or {})
    pairing = domain.meta.get("pair_report")
    unseen = pairing.target.columns.unseen if isinstance(pairing, PairReport) else {}
    new = {c: f"{next(iter(v))} {NEVER}" if len(v) == 1 else NEW_VALUE for c, v in unseen.items()}
    missing = pairing.target.unvalued_in(domain.ids) if isinstance(pairing, PairReport) else {}
    new |= {c: f"{new[c]}{OR_MISSING}" if c in new else MISSING for c in missing}
    shown_of = {name: encoded[name][0] if name in encoded else name for name in names}

    def cells(i: int, columns: Sequence[int]) -> dict[str, Any]:
        values = as_written(domain.X[i].numpy())
        row: dict[str, Any] = dict.fromkeys(dict.fromkeys(shown_of[names[j]] for j in columns))
        for j, name in enumerate(names):
            if name not in encoded:
                if name in row:
                    row[name] = values[j]
                continue
            column, value = encoded[name]
            if column in row and (values[j] > 0.5 or row[column] is None):  # none of the values: new
                row[column] = value if values[j] > 0.5 else new.get(column, NEW_VALUE)
        return {shown_name(column, domain.file_columns): value for column, value in row.items()}

    return cells
