"""CSV/TSV/Parquet feature tables as a :class:`Domain`.

One row per sample, numeric feature columns, and an optional label column: the one named by the
``label=`` option (in a file without a header its number, counted from 0 as pandas numbers the
columns; messages name it ``column 4 of the file (label=3)``: :func:`~.table_cells.label_words`), else
the first column called ``label``, ``y``, ``class`` or ``target`` (any case), else, in a CSV without a
header, its one text column. Read with ``label=none`` a table has no label column but one so called:
every other column is a feature, a text one too (refused, or encoded with ``text=onehot``). A CSV's
dialect and header are read as :mod:`tlcore.data.csv_text` says. An index pandas wrote (a first column
``Unnamed: 0`` holding ``0..N-1``) and empty unnamed columns (lines ending in a separator) are
dropped. Before parsing, a CSV's first line and a Parquet file's metadata are checked against
``max_table_columns``, ``max_tensor_bytes`` (rows x columns) and ``max_uncompressed_bytes``; Parquet
text columns are read dictionary-encoded, so a repeated label is never copied per row.

A table whose feature columns all have names keeps them (``meta["columns"]``): a model trained on it,
and a pair's target, take their columns by name (:mod:`tlcore.data.harmonise`); any other names
them by place (``feature 1``, the label column left out). Text in a feature column is refused unless
read with ``text=onehot``: each such column then becomes a 0/1 column per value
(:mod:`tlcore.data.categories`), keyed and named by its header's name or its place
(``feature 1=north``). A feature column empty in every row is dropped, with a warning
(:func:`~tlcore.data.fill.dropped_warning`; without a header it is named by its place, ``feature 1``),
unless read with ``missing=impute`` (a pair's target keeps it, filled); a table of nothing else is
refused.

Labels as :mod:`.values` reads them. Sample ids are the 0-based data rows (header not counted); a
table's first column called ``id``, ``sample_id``, ``file``, ``filename`` or ``path`` (any case)
holds them instead, as text, and is no feature (a running number would separate any two files
perfectly); its values must be present and unique. Without one, the first column named as an
identifier (``customer_id``, ``order id``, ``CustomerID``) whose values are present and unique holds
them (one that repeats, a ``store_id``, stays a feature).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from tlcore.data.categories import CATEGORIES, encoded_note, one_hot, place_columns, placeholder
from tlcore.data.csv_text import read_csv_frame
from tlcore.data.domain import FILE_COLUMNS, PLACES, Domain, kept_places, shown_columns
from tlcore.data.fill import (
    EMPTY_DROPPED,
    MISSING_CELLS,
    MISSING_TEXT,
    dropped_warning,
    mark_holes,
    read_note,
    with_holes,
)
from tlcore.data.spec_text import IMPUTE, NO_LABELS
from tlcore.data.table_cells import (
    MISSING_DROP,
    bad_cells,
    check_label_counts,
    column_words,
    dropped_rows_note,
    empty_columns,
    feature_names,
    file_columns,
    is_unnamed,
    label_words,
    missing_cells_error,
    numeric_column,
    row_number_warning,
    row_words,
)
from tlcore.data.table_errors import LabelColumnMissingError, TextFeaturesError
from tlcore.data.values import array_domain, check_tensor, class_labels, decoded_text, float32_values
from tlcore.errors import TLError
from tlcore.limits import Limits, format_bytes, shown_limit
from tlcore.numbers import first_named

LABEL_COLUMNS = ("label", "y", "class", "target")
ID_COLUMNS = ("id", "sample_id", "file", "filename", "path")
ID_NAMES = (re.compile(r"[_\s.-]id$", re.IGNORECASE), re.compile(r"[a-z]ID$"))  # customer_id, CustomerID
PARQUET = (".parquet", ".pq")  # the suffixes of a Parquet table (else a CSV or TSV)
INDEX_COLUMN = "Unnamed: 0"  # pandas' name for a CSV's empty first header field, where it writes its index
TEXT_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary)


def read_table(
    path: Path,
    label: str,
    limits: Limits,
    label_column: str | None = None,
    missing: str | None = None,
    *,
    text_onehot: bool = False,
) -> Domain:
    """Load a CSV, TSV or Parquet table of feature vectors with an optional label column; the rows
    holding a missing, non-numeric or infinite feature cell are dropped with ``missing`` ``drop`` (the
    spec's ``missing=drop``), kept with such cells NaN with ``impute`` (:mod:`tlcore.data.fill`; a
    missing text cell, none of its column's values), else refused (:mod:`tlcore.data.table_cells`); with
    ``text_onehot`` (the spec's ``text=onehot``) each text feature column becomes 0/1 columns
    (:mod:`tlcore.data.categories`)."""
    frame, note = _frame(path, label, limits)
    column, id_column, features, text = _columns(frame, label, label_column, limits if text_onehot else None)
    first_line = _first_line(path, frame)
    ids = _column_ids(frame[id_column], label, first_line) if id_column is not None else ()
    if features.shape[1] == 0:
        raise TLError(f"{label} has no feature columns")
    names_of = feature_names(features)  # a file without a header's by place, before any is dropped
    at = file_columns(features)  # where a file without a header holds those places
    empty = empty_columns(features) if missing != IMPUTE else {}  # kept with impute: a target fills them
    if len(empty) == features.shape[1]:
        raise TLError(f"{label}: every feature column is empty in every row: no value to learn from")
    features = features.drop(columns=list(empty))
    note += dropped_warning(list(empty.values()), at)
    check_tensor(features.shape[0], features.shape[1], label, limits)
    frame, features, ids, dropped = _without_missing(
        frame, features, ids, label, first_line, names=names_of, missing=missing
    )
    note += f"; {dropped}" if dropped else ""
    features, categories, unvalued = (
        one_hot(features, frame, text, label, names_of) if text else (features, {}, {})
    )
    note += encoded_note(categories, unvalued, at)
    check_tensor(features.shape[0], features.shape[1], label, limits)

    def rows(i: int) -> str:  # a row of ``features`` (some dropped, maybe) as the file has it
        line = row_words(int(features.index[i]), (), first_line)
        return line + (f" (id {ids[i]})" if id_column is not None else "")

    numbers, holes = with_holes(features.to_numpy()) if missing == IMPUTE else (features.to_numpy(), None)
    named = not any(map(is_unnamed, names_of))
    names = (
        tuple(map(str, features.columns))
        if named
        else place_columns(features.shape[1], categories, empty.values())
    )
    values = float32_values(numbers, label, names, rows, file_columns=at)
    holes_in = mark_holes(values, holes, names)
    note += read_note(holes_in, len(values), [c for c, v in categories.items() if not v], at)
    y, classes = (None, ()) if column is None else _column_labels(frame[column], label)
    if column is not None:
        check_label_counts(len(classes), len(frame), column, label)
    where = f", labels from {column_words(column, {})}" if column is not None else ""
    where += f", sample ids from column {id_column!r}" if id_column is not None else ""
    note += row_number_warning(features, names)
    provenance = f"{label}: {values.shape[0]} rows x {values.shape[1]} features{where}{note}"
    meta = {"columns": names} if named else {PLACES: names} if names != kept_places(len(names)) else {}
    meta |= {"missing_dropped": dropped} if dropped else {}
    meta |= {EMPTY_DROPPED: tuple(empty.values())} if empty else {}
    meta |= {CATEGORIES: categories} if categories else {}
    meta |= {FILE_COLUMNS: at} if at else {}
    meta |= {MISSING_CELLS: holes_in} if holes_in else {}
    meta |= {MISSING_TEXT: unvalued} if unvalued else {}
    return array_domain(label, torch.from_numpy(values), y, classes, provenance, meta=meta, ids=ids)


def table_rows(
    path: Path, label: str, limits: Limits, label_column: str | None = None
) -> tuple[pd.DataFrame, tuple[str, ...], bool, object | None]:
    """The table as :func:`read_table` parses it (unnamed columns that hold nothing dropped:
    :func:`_drop_unnamed`), each row's sample id as it gives them, whether they come from an id column
    (else they are the data rows), and the column it reads the labels from (None: none)."""
    frame, _ = _frame(path, label, limits)
    labels = _label_column(frame, label, label_column)
    id_column = _id_column(frame, labels)
    if id_column is None:
        return frame, tuple(map(str, range(len(frame)))), False, labels
    return frame, _column_ids(frame[id_column], label, _first_line(path, frame)), True, labels


def _without_missing(
    frame: pd.DataFrame,
    features: pd.DataFrame,
    ids: tuple[str, ...],
    label: str,
    first_line: int | None,
    *,
    names: dict[object, str],
    missing: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], str]:
    """The table, its features and ids without the rows holding a missing, non-numeric or infinite
    feature cell, and the note saying which were dropped ('' when none); such rows are refused
    (:func:`~tlcore.data.table_cells.missing_cells_error`, its column named as ``names`` does) unless
    ``missing`` drops them (``drop``) or keeps them to be filled (``impute``). Without an id column the
    kept rows keep their data-row numbers as ids."""
    dropped = bad_cells(features)
    if not dropped.any() or missing == IMPUTE:
        return frame, features, ids, ""
    if missing is None:
        raise missing_cells_error(features, frame, label, ids, first_line, names=names)
    if dropped.all():
        raise TLError(f"{label}: every row holds a missing or non-numeric cell; {MISSING_DROP} leaves none")
    note = dropped_rows_note(dropped, ids, first_line)
    kept = np.flatnonzero(~dropped)
    ids = tuple(ids[i] for i in kept) if ids else tuple(map(str, kept))
    return frame.iloc[kept], features.iloc[kept], ids, note


def has_header(frame: pd.DataFrame) -> bool:
    """Whether a header names the table's columns (else the CSV reader numbered them)."""
    return any(isinstance(c, str) for c in frame.columns)


def _first_line(path: Path, frame: pd.DataFrame) -> int | None:
    """The line of the file that holds the first data row (the header is line 1); None for Parquet."""
    if path.suffix.lower() in PARQUET:
        return None
    return 2 if has_header(frame) else 1


def table_labelled(
    path: Path, label: str, limits: Limits, label_column: str | None = None, text_onehot: bool = False
) -> bool:
    """Whether :func:`read_table` reads ``path`` with labels (the table is parsed, no value converted;
    text in a feature column is refused as reading it is, unless ``text_onehot``)."""
    frame = _frame(path, label, limits)[0]
    return _columns(frame, label, label_column, limits if text_onehot else None)[0] is not None


def _columns(
    frame: pd.DataFrame, label: str, label_column: str | None, onehot: Limits | None = None
) -> tuple[str | None, str | None, pd.DataFrame, list[object]]:
    """The label column, the sample-id column, the feature columns and those of them that hold text;
    text among the features: a :class:`TextFeaturesError`, or with ``onehot`` (the limits
    ``text=onehot`` reads under) each text column's :func:`~tlcore.data.categories.placeholder`."""
    column = _label_column(frame, label, label_column)
    id_column = _id_column(frame, column)
    features = frame.drop(columns=[c for c in (column, id_column) if c is not None])
    numeric = {c: numeric_column(features[c]) for c in features.columns}
    text = [c for c, values in numeric.items() if values is None]
    bad = [str(c) for c in text]  # as label= selects them
    names = feature_names(features)
    if bad and onehot is not None:
        numeric = {
            c: placeholder(features[c], column_words(c, names), label, onehot) if v is None else v
            for c, v in numeric.items()
        }
    elif bad:
        at = file_columns(features)  # a file without a header's: its columns as places of the file
        shown = shown_columns([names[c] for c in text], at) if at else f"columns {first_named(bad, 3)}"
        what = f"{label}: non-numeric feature {shown}"
        labels = None if column is None else label_words(column)
        raise TextFeaturesError(what, bad, labels, label_words(text[0]))
    return column, id_column, pd.DataFrame(numeric, index=features.index), text


def _frame(path: Path, label: str, limits: Limits) -> tuple[pd.DataFrame, str]:
    """The parsed table without the columns that hold no feature (:func:`_drop_unnamed`), its note."""
    frame, read = _read_frame(path, label, limits)
    if frame.empty or not len(frame.columns):
        raise TLError(f"{label} has no rows")
    frame, note = _drop_unnamed(frame)
    return frame, read + note


def _read_frame(path: Path, label: str, limits: Limits) -> tuple[pd.DataFrame, str]:
    """The file's frame and its reading's note (a CSV's: :func:`~tlcore.data.csv_text.read_csv_frame`)."""
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET:
            return _read_parquet(path, label, limits), ""
        return read_csv_frame(path, label, limits)
    except pd.errors.EmptyDataError:
        raise TLError(f"{label} is empty") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        raise TLError(f"{label} is not a well-formed table (rows of different lengths?)") from None
    except (UnicodeDecodeError, ValueError, OSError, pa.ArrowException) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise TLError(f"{label} is not a readable table: {reason}") from None


def _read_parquet(path: Path, label: str, limits: Limits) -> pd.DataFrame:
    """A Parquet file's frame, once its metadata passed the limits; text columns stay dictionary-encoded."""
    with pq.ParquetFile(path) as parquet:
        meta, schema = parquet.metadata, parquet.schema_arrow
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    _check_parquet(meta, nested, label, limits)
    text = [f.name for f in schema if any(test(f.type) for test in TEXT_TYPES)]
    return pq.read_table(path, read_dictionary=text).to_pandas()


def _check_parquet(meta: pq.FileMetaData, nested: list[str], label: str, limits: Limits) -> None:
    if meta.num_columns > limits.max_table_columns:
        limit = shown_limit(limits, "max_table_columns")
        raise TLError(
            f"{label} has {meta.num_columns} columns, more than the limit of {limit}; "
            "store wider features in an .npz"
        )
    check_tensor(meta.num_rows, meta.num_columns, label, limits)
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > limits.max_uncompressed_bytes:
        raise TLError(
            f"{label} unpacks to {format_bytes(unpacked)} uncompressed, more than the limit of "
            + shown_limit(limits, "max_uncompressed_bytes")
        )
    if nested:
        raise TLError(f"{label}: column {nested[0]!r} holds nested values; use flat columns")


def _drop_unnamed(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Drop unnamed columns that hold no feature, with a provenance note: an index pandas wrote (a
    first column ``Unnamed: 0`` holding ``0..N-1``) and empty ones under an empty header field (lines
    ending in a separator). Without a header an empty column is a feature column, named by its place
    (:func:`~tlcore.data.table_cells.empty_columns`)."""
    note = ""
    if frame.columns[0] == INDEX_COLUMN and np.array_equal(frame[INDEX_COLUMN], np.arange(len(frame))):
        frame, note = frame.drop(columns=[INDEX_COLUMN]), f"; index column {INDEX_COLUMN!r} dropped"
    empty = [c for c in frame.columns if isinstance(c, str) and is_unnamed(c) and frame[c].isna().all()]
    if empty:
        frame = frame.drop(columns=empty)
        note += f"; {len(empty)} empty column{'s' if len(empty) > 1 else ''} dropped"
    return frame, note


def _label_column(frame: pd.DataFrame, label: str, wanted: str | None) -> object | None:
    """The label column: the one ``wanted`` names (the spec's ``label=``), else one named as a label
    (:data:`LABEL_COLUMNS`), else in a file without a header its one text column, unless ``wanted`` is
    ``none`` (``label=none``: no column of such a file is a label, its text column a feature)."""
    names = {str(c): c for c in frame.columns}
    if wanted is not None and wanted != NO_LABELS:
        if wanted not in names and not has_header(frame):
            last = len(frame.columns) - 1
            raise LabelColumnMissingError(
                f"{label} has no column {wanted!r}: in a file without a header label=N counts its "
                f"{len(frame.columns)} columns from 0 (label=0 is the first, label={last} the last)"
            )
        if wanted not in names:
            columns = first_named(list(names), 8)
            raise LabelColumnMissingError(f"{label} has no column {wanted!r} (columns: {columns})")
        return names[wanted]
    lowered = {name.lower(): column for name, column in names.items()}
    named = next((lowered[c] for c in LABEL_COLUMNS if c in lowered), None)
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if named is None and len(text) == 1 and not has_header(frame) and wanted is None:
        return text[0]  # a file without a header: its one text column can only be the labels
    return named


def _id_column(frame: pd.DataFrame, label_column: object | None) -> object | None:
    """The first column named as :data:`ID_COLUMNS` says (not the label column), else the first named
    as an identifier (:data:`ID_NAMES`: ``customer_id``, ``CustomerID``) whose values are present and
    unique (a ``store_id`` that repeats is a category, a feature), or None."""
    named = [c for c in frame.columns if isinstance(c, str) and c != label_column]
    exact = next((c for c in named if c.lower() in ID_COLUMNS), None)
    if exact is not None:
        return exact
    return next(
        (
            c
            for c in named
            if any(p.search(c) for p in ID_NAMES) and frame[c].notna().all() and frame[c].is_unique
        ),
        None,
    )


def _column_ids(values: pd.Series, label: str, first_line: int | None) -> tuple[str, ...]:
    """The id column's values as text (integers without a decimal point); missing or repeated refused."""
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        where = row_words(row, (), first_line)
        raise TLError(f"{label}: column {values.name!r} (the sample ids) is empty on {where}")
    if pd.api.types.is_float_dtype(values) and (values == values.round()).all():
        values = values.astype(np.int64)
    ids = tuple(str(v) for v in decoded_text(values.to_numpy(), label))
    if len(set(ids)) < len(ids):
        repeated = pd.Series(ids).duplicated(keep=False)
        first = ids[int(np.flatnonzero(repeated.to_numpy())[0])]
        raise TLError(
            f"{label}: column {values.name!r} repeats the sample id {first!r}; sample ids must be unique "
            "(rename the column if it is a feature)"
        )
    return ids


def _column_labels(column: pd.Series, label: str) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Labels of a table column; a categorical one through its categories (never expanded per row)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return class_labels(column.to_numpy(), None, label)
    if column.isna().any():
        raise TLError(f"{label}: some labels are missing")
    column = column.cat.remove_unused_categories()
    position, classes = class_labels(column.cat.categories.to_numpy(), None, label)
    return position[torch.from_numpy(column.cat.codes.to_numpy().astype(np.int64))], classes
