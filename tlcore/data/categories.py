"""A table's text feature columns as 0/1 columns, one per value (the spec option ``text=onehot``).

A text column (one :func:`~tlcore.data.table_cells.numeric_column` does not read as numbers: a region,
a device, a plan) becomes one float column per distinct value, named ``column=value``, in place of the
column, its values sorted (as text); a row holds 1 in the column of its value and 0 in the others. A
missing text cell is a missing cell like a number's: refused, or its row dropped with ``missing=drop``
(:mod:`tlcore.data.table_cells`), before the values are counted; with ``missing=impute`` its row is kept
holding none of the values (its 0/1 columns all 0, as a value the source never had: nothing to fill,
no median of a category), counted in the provenance and in the notes of the pair or model it is
fitted to (:mod:`tlcore.data.harmonise`); a pair drops a source column without a value
(:func:`tlcore.data.fill.without_empty`). A column with more distinct values than
``max_text_values`` (:mod:`tlcore.limits`) is refused: an id or free text, not a category (the
refusal says how to read an id column as the sample ids).

The values a domain encoded are kept as ``meta["categories"]`` (``{column: (value, ...)}``): a pair's
target and a model's new files are encoded with the source's values (:mod:`tlcore.data.harmonise`).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from tlcore.data.domain import place_name, shown_name
from tlcore.data.spec_text import ONEHOT
from tlcore.data.values import decoded_text
from tlcore.errors import TLError
from tlcore.limits import Limits, shown_limit
from tlcore.numbers import plural

ID_HINT = "rename it id (or sample_id) so it is not learned from"  # an identifier column's fix
TEXT_ONEHOT = f"text={ONEHOT}"  # the spec option that encodes text feature columns
CATEGORIES = "categories"  # the domain's meta key: {column: (value, ...)}

Categories = Mapping[str, Sequence[str]]


def encoded_name(column: str, value: str) -> str:
    """The name of the 0/1 column of ``value`` of the text column ``column``: ``region=north``."""
    return f"{column}={value}"


def text_cells(column: pd.Series, label: str) -> pd.Series:
    """A text column's cells as ``str`` (byte strings decoded as UTF-8, numbers as written), missing
    ones ``None``."""
    cells = column.astype(object)
    present = cells.notna().to_numpy()
    text = np.full(len(cells), None, dtype=object)
    text[present] = [str(v) for v in decoded_text(cells.to_numpy()[present], label)]
    return pd.Series(text, index=column.index, name=column.name)


def placeholder(column: pd.Series, words: str, label: str, limits: Limits) -> pd.Series:
    """A text feature column as a stand-in that :mod:`~tlcore.data.table_cells` checks: 0 where a cell
    holds text, NaN where it is missing; a column with more distinct values than ``max_text_values``
    refused, naming it as messages do (``words``: ``column 'region'``, without a header ``column 3 of
    the file``: :func:`~tlcore.data.table_cells.column_words`) and its count."""
    cells = text_cells(column, label)
    n = int(cells.nunique(dropna=True))
    if n > limits.max_text_values:
        raise TLError(
            f"{label}: text {words} holds {n} distinct values, more than the "
            f"{shown_limit(limits, 'max_text_values')} that {TEXT_ONEHOT} encodes (an identifier? "
            f"{ID_HINT}; free text? drop the column)"
        )
    return pd.Series(np.where(cells.notna(), 0.0, np.nan), index=column.index, name=column.name)


def one_hot(
    features: pd.DataFrame,
    frame: pd.DataFrame,
    text: Sequence[object],
    label: str,
    names: Mapping[object, str],
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]], dict[str, int]]:
    """``features`` with each column of ``text`` (its :func:`placeholder`) replaced, in place, by its
    0/1 columns, from ``frame``'s cells of the same rows; the values each encodes, sorted; and its
    missing cells (all 0: ``missing=impute``) per column that has some: each keyed, and its 0/1 columns
    named, by the column's name in ``names`` (its header's, or in a file without one its place,
    ``feature 1``: :func:`~tlcore.data.table_cells.feature_names`)."""
    parts, categories, unvalued = [], {}, {}
    for column in features.columns:
        if column not in text:
            parts.append(features[column])
            continue
        name = names[column]
        cells = text_cells(frame.loc[features.index, column], label)
        values = tuple(sorted(set(cells.dropna())))
        categories[name] = values
        if n := int(cells.isna().sum()):
            unvalued[name] = n
        parts += [
            pd.Series((cells == v).to_numpy(dtype=float), index=features.index, name=encoded_name(name, v))
            for v in values
        ]
    return pd.concat(parts, axis=1), categories, unvalued


def encoded_note(
    categories: Categories, unvalued: Mapping[str, int], file_columns: Sequence[int] = ()
) -> str:
    """A provenance note: ``; text columns as a 0/1 column per value (text=onehot): region (3 values),
    plan (2 values)`` (without a header ``column 3 of the file (3 values)``: ``file_columns``,
    :func:`~tlcore.data.domain.shown_name`), then ``; 2 missing text cells of 1 column read as none of
    their column's values (their 0/1 columns all 0)`` (``unvalued``: missing cells per column); '' when
    none was encoded."""
    if not categories:
        return ""
    listed = ", ".join(
        f"{shown_name(column, file_columns)} ({plural(len(values), 'value')})"
        for column, values in categories.items()
    )
    note = f"; text columns as a 0/1 column per value ({TEXT_ONEHOT}): {listed}"
    if unvalued:
        n = sum(unvalued.values())
        cells, columns = plural(n, "missing text cell"), plural(len(unvalued), "column")
        note += f"; {cells} of {columns} {read_as_none(n)}"
    return note


def read_as_none(cells: int) -> str:
    """What a table's ``cells`` missing text cells are read as: ``read as none of their column's values
    (their 0/1 columns all 0)``, ``its`` for one."""
    its = "its" if cells == 1 else "their"
    return f"read as none of {its} column's values ({its} 0/1 columns all 0)"


def place_columns(width: int, categories: Categories, gone: Collection[str] = ()) -> tuple[str, ...]:
    """The ``width`` columns of a table without a header as read: its places not ``gone`` (dropped,
    :func:`~tlcore.data.domain.kept_places`) in order, each text column's (``categories``, keyed by its
    place) as its 0/1 columns (``feature 1=north``, ``feature 1=south``): the names its domain, and a
    model trained on it, give its columns."""
    names: list[str] = []
    places = (place for place in map(place_name, itertools.count()) if place not in gone)
    while len(names) < width:
        place = next(places)
        names += [encoded_name(place, v) for v in categories[place]] if place in categories else [place]
    return tuple(names[:width])


def category_columns(categories: Categories) -> dict[str, tuple[str, str]]:
    """Each encoded column's name -> its text column and value."""
    return {encoded_name(c, v): (c, v) for c, values in categories.items() for v in values}


def unvalued_rows(X: torch.Tensor, names: Sequence[str], categories: Categories) -> dict[str, int]:
    """The rows of ``X`` (columns ``names``, in the domain's own encoding ``categories``: each value it
    holds has its 0/1 column) holding none of a text column's values, a missing text cell read with
    ``missing=impute`` (every row, for a column with no value), per column that has some."""
    return {column: int(rows.sum()) for column, rows in unvalued_masks(X, names, categories).items()}


def unvalued_masks(X: torch.Tensor, names: Sequence[str], categories: Categories) -> dict[str, torch.Tensor]:
    """Which rows of ``X`` :func:`unvalued_rows` counts, as an ``N`` bool mask per column that has some."""
    where = {n: i for i, n in enumerate(names)}
    masks = {}
    for column, values in categories.items():
        at = [where[encoded_name(column, v)] for v in values if encoded_name(column, v) in where]
        rows = (X[:, at] == 0).all(dim=1) if at else torch.ones(len(X), dtype=torch.bool)
        if rows.any():
            masks[str(column)] = rows
    return masks
