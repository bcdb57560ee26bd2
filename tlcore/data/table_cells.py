"""A table's cells that are not numbers, and columns that look like something other than features.

- A text column is *mostly numeric* when at least :data:`MOSTLY_NUMERIC` of its non-empty cells parse
  as numbers (``1.5``; ``1,5`` in a file with decimal commas): it is a feature column with a few bad
  cells (``#DIV/0!``, ``?``, ``1.2.3``), not a text column. Its bad cells count as missing.
- A missing cell (empty, ``n/a``, ``NaN``: pandas' missing markers), a bad cell or an infinite value is
  refused by :class:`MissingCellsError`, naming the first one by column, line of the file (the header
  is line 1, as a spreadsheet numbers it; a Parquet file's row counted from 1) and id, with what to do:
  fix it, or read the table with the spec option ``missing=drop``, which drops the rows holding one,
  or ``missing=impute``, which keeps them and fills the cells (:mod:`tlcore.data.fill`).
- A label column with more than half as many classes as rows (and at least :data:`MANY_CLASSES`) is
  refused: a class label repeats (:func:`check_label_counts`).
- A feature column that counts the rows (:func:`tlcore.data.values.looks_like_row_number`) gets a
  warning: a running number learns the file's order, not the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tlcore.data.categories import ID_HINT
from tlcore.data.domain import place_name
from tlcore.data.fill import MISSING_DROP, MISSING_IMPUTE
from tlcore.data.values import looks_like_row_number
from tlcore.errors import TLError
from tlcore.numbers import and_more, plural

MOSTLY_NUMERIC = 0.9  # share of a column's non-empty cells that parse as numbers: a feature column
MANY_CLASSES = 20  # a label column from which more classes than half the rows is refused
SHOWN_ROWS = 5  # dropped rows named in a provenance


class MissingCellsError(TLError):
    """Missing, non-numeric or infinite feature cells (``what`` says how many and where the first is);
    the callers that know how the file is read say how to drop their rows (:meth:`hint`)."""

    def __init__(self, what: str, cells: int, text: bool = False) -> None:
        self.what, self.cells, self.text = what, cells, text
        options = (f"read the table with the spec option {o}" for o in (MISSING_DROP, MISSING_IMPUTE))
        super().__init__(self.hint(*options))

    def hint(self, how: str, fill: str = "") -> str:
        """The message with ``how`` to drop the rows that hold such a cell, and ``fill``: how to keep
        them, the cells filled (:mod:`tlcore.data.fill`; the first in a text column, ``text``: read as
        none of its values, :mod:`tlcore.data.categories`)."""
        one = self.cells == 1
        fix = "fix it in the file, or drop its row" if one else "fix them in the file, or drop their rows"
        filled = "with the source's column medians"
        if self.text:
            filled = "in (a missing text cell read as none of its column's values)"
        kept = f"; or fill {'it' if one else 'them'} {filled}: {fill}"
        return f"{self.what}; {fix}: {how}" + (kept if fill else "")


def empty_columns(features: pd.DataFrame) -> dict[object, str]:
    """The columns of ``features`` (numbers, bad cells NaN) without a value in any row, every cell
    missing (an infinite one is a value, a bad one: refused as read), each with its name as the domain
    gives it: its own, or where a column has none (a file without a header) ``feature i`` by its place
    among the features as read, which a pair drops from a target without a header too. A table drops
    them as it is read (:func:`tlcore.data.fill.dropped_warning`), unless read with ``missing=impute``."""
    empty = np.isnan(features.to_numpy(dtype=float)).all(axis=0) if len(features) else ()
    names = feature_names(features)
    return {c: names[c] for c, none in zip(features.columns, empty, strict=False) if none}


def feature_names(features: pd.DataFrame) -> dict[object, str]:
    """Each feature column of a table as read (before any is dropped) -> its name in the domain: its
    header's where every column has one, else ``feature i`` by its place among the feature columns
    (:func:`~tlcore.data.domain.place_name`; the label and id columns left out)."""
    named = not any(map(is_unnamed, features.columns))
    return {c: str(c) if named else place_name(i) for i, c in enumerate(features.columns)}


def column_words(column: object, names: Mapping[object, str]) -> str:
    """How every message names a column of a table as read: a feature column by its name in the domain
    (``names``: :func:`feature_names`), ``column 'flow'``; any other column by its header's name. In a
    file without a header a column goes by its place in the file (1-based, as a spreadsheet counts,
    whatever columns sit before it: ``column 4 of the file``, as
    :func:`~tlcore.data.domain.shown_name` names its place ``feature 2``), the label column (or one a
    message suggests as it) with the option that selects it (``label=`` counts from 0, as pandas
    numbers the columns): ``column 3 of the file (label=2)``."""
    if isinstance(column, (int, np.integer)):  # pandas' number of a column of a file without a header
        return f"column {column + 1} of the file" + ("" if column in names else f" (label={column})")
    if column in names:
        return f"column {names[column]!r}"
    return f"column {str(column)!r}"


def file_columns(features: pd.DataFrame) -> tuple[int, ...]:
    """The columns of its file (0-based) that a table without a header's feature columns are, in order
    (pandas numbers them so): :data:`~tlcore.data.domain.FILE_COLUMNS`; () for a table with a header."""
    columns = list(features.columns)
    return tuple(map(int, columns)) if all(isinstance(c, (int, np.integer)) for c in columns) else ()


def label_words(column: object) -> str:
    """How a message names a table's label column, or a column it suggests as one: its header's name
    (``species``), or in a file without a header as :func:`column_words` does (``column 3 of the file
    (label=2)``)."""
    return column_words(column, {}) if isinstance(column, (int, np.integer)) else str(column)


def is_unnamed(column: object) -> bool:
    """A column of a CSV without a header (numbered) or under an empty header field (``Unnamed: 3``)."""
    return not isinstance(column, str) or column.startswith("Unnamed: ")


def numeric_column(column: pd.Series) -> pd.Series | None:
    """``column`` as numbers when it is numeric or mostly numeric (module docstring), its bad cells
    NaN; None for a text column."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column
    text = column.astype(object)
    filled = int(text.notna().sum())
    if not filled:
        return None
    numbers = pd.to_numeric(text, errors="coerce")
    dotted = text.map(lambda v: v.replace(",", ".") if isinstance(v, str) else v)  # a decimal comma
    commas = pd.to_numeric(dotted, errors="coerce")
    best = max(numbers, commas, key=lambda n: int(n.notna().sum()))
    return best.astype(float) if best.notna().sum() >= MOSTLY_NUMERIC * filled else None


def row_words(row: int, ids: Sequence[str], first_line: int | None, *, kept_ids: bool = False) -> str:
    """Where data row ``row`` (0-based) is: ``line 7 of the file`` (``first_line``: the line of data
    row 0; None: a file without lines, ``row 6``), and ``id T00004`` when the table has an id column.
    ``kept_ids``: a table without one says the id its row carries as a sample (``line 7 of the file
    (id 5)``: the data-row number, a prediction file's ``id``), for rows named beside kept ones."""
    where = f"line {row + first_line} of the file" if first_line is not None else f"row {row + 1}"
    sample_id = ids[row] if ids else str(row) if kept_ids else None
    return where + (f" (id {sample_id})" if sample_id is not None else "")


def bad_cells(features: pd.DataFrame) -> np.ndarray:
    """``N`` bool: the rows of ``features`` (numbers, bad cells NaN) holding a missing, bad or infinite
    cell."""
    return ~np.isfinite(features.to_numpy(dtype=float)).all(axis=1)


def missing_cells_error(
    features: pd.DataFrame,
    raw: pd.DataFrame,
    label: str,
    ids: Sequence[str],
    first_line: int | None,
    *,
    names: Mapping[object, str],
) -> MissingCellsError:
    """The :class:`MissingCellsError` of ``features`` (numbers, bad cells NaN; one at least), naming
    the first bad cell with its text in ``raw``, the table as read, and its column as ``names`` does
    (:func:`column_words`): ``1 cell is missing, infinite or not a number: '#DIV/0!' in column 'flow'
    on line 6 of the file (id T00004)``."""
    bad = ~np.isfinite(features.to_numpy(dtype=float))
    row, col = (int(i) for i in np.argwhere(bad)[0])
    name = features.columns[col]
    cell = raw[name].iloc[row]
    if pd.isna(cell):
        shown = "empty (or a missing-value marker such as n/a)"
    else:
        shown = repr(cell) if isinstance(cell, str) else f"{float(cell):g}"
    n, rows = int(bad.sum()), int(bad.any(axis=1).sum())
    cells = "1 cell is" if n == 1 else f"{n} cells in {plural(rows, 'row')} are"
    first = "" if n == 1 else "the first "
    where = f"in {column_words(name, names)} on {row_words(row, ids, first_line)}"
    what = f"{label}: {cells} missing, infinite or not a number: {first}{shown} {where}"
    return MissingCellsError(what, n, text=numeric_column(raw[name]) is None)


def dropped_rows_note(dropped: np.ndarray, ids: Sequence[str], first_line: int | None) -> str:
    """What ``missing=drop`` dropped (provenance, ``meta["missing_dropped"]``, predict's notes): ``2 rows
    with a missing or non-numeric cell dropped (missing=drop: line 8 of the file (id T00006), …)``;
    without an id column, the id the row would have had (``line 7 of the file (id 5)``)."""
    rows = np.flatnonzero(dropped).tolist()
    named = ", ".join(row_words(r, ids, first_line, kept_ids=True) for r in rows[:SHOWN_ROWS])
    named += and_more(len(rows) - SHOWN_ROWS)  # the words of the rows named only: there may be millions
    what = plural(len(rows), "row")
    return f"{what} with a missing or non-numeric cell dropped ({MISSING_DROP}: {named})"


def check_label_counts(n_classes: int, n_rows: int, column: object, label: str) -> None:
    """Refuse a label column with more than half as many classes as rows (from :data:`MANY_CLASSES`):
    a class label repeats, a measurement or an id does not (the column named as :func:`column_words`
    names it)."""
    if n_classes >= MANY_CLASSES and n_classes > n_rows / 2:
        raise TLError(
            f"{label}: {column_words(column, {})} has {n_classes} distinct values in {n_rows} rows: it does "
            "not look like a class label (a label repeats); name the label column, or read the table with "
            "label=none"
        )


def row_number_warning(features: pd.DataFrame, names: Sequence[str]) -> str:
    """A provenance warning naming the first feature column that counts rows as messages do
    (:func:`column_words`; ``names``, its name in the domain, one per column of ``features``; '' when
    none): ``; column 'reading_no' counts rows (0, 1, 2, … 399): if it is an identifier, name it id …``."""
    for column, name in zip(features.columns, names, strict=True):
        values = features[column].to_numpy()
        if looks_like_row_number(values):
            low, high = int(values.min()), int(values.max())
            counts = f"counts rows ({low}, {low + 1}, {low + 2}, … {high})"
            where = column_words(column, {column: name})
            return f"; WARNING: {where} {counts}: if it is an identifier, {ID_HINT}"
    return ""
