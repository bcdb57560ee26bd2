"""Arrays and tables as a :class:`Domain`: ``.npz`` files and CSV/TSV/Parquet feature tables.

``.npz``: an array ``X`` (``N x D`` features, ``N x H x W`` or ``N x C x H x W`` / ``N x H x W x C``
images with 1 or 3 channels, brought to [0, 1]: uint8 is scaled from 0..255, as are other integers
above 1 and floats above 2 (up to 255); floats within 0.5 of [0, 1], a resampling overshoot, are
clamped; any other range is refused), optional ``y`` (integer or string labels, or one-hot rows read
by their argmax) and optional ``classes`` (distinct names for integer ``y``), stored as ``X.npy``,
``y.npy``, ``classes.npy`` (what :func:`numpy.savez` writes). The archive passes the zip checks of
:mod:`.archive`; each array's header is checked against the bytes its member holds before any memory
is allocated, and arrays load with ``allow_pickle=False``, always (object arrays are refused).

Tables: one row per sample, numeric feature columns, and an optional label column: the one named by
the ``label=`` option, else the first column called ``label``, ``y``, ``class`` or ``target`` (any
case), else, in a CSV without a header, its one text column. A CSV's dialect and header are read as
:mod:`tlcore.data.csv_text` says. An index pandas wrote (a first column ``Unnamed: 0`` holding
``0..N-1``) and empty unnamed columns (lines ending in a separator) are dropped. Before parsing, a
CSV's first line and a Parquet file's metadata are checked against ``max_table_columns``,
``max_tensor_bytes`` (rows x columns) and ``max_uncompressed_bytes``; Parquet text columns are read
dictionary-encoded, so a repeated label is never copied per row.

A table whose feature columns all have names keeps them (``meta["columns"]``): a model trained on it,
and a pair's target, take their columns by name (:mod:`tlcore.data.harmonise`).

Labels become class names (integers as ``"3"``; byte strings, as HDF5 and Parquet binary columns
hold text, decoded as UTF-8) sorted by value; missing or infinite values are refused. Sample ids are
the 0-based positions: the array's row, the table's data row (header not counted); a table's first
column called ``id``, ``sample_id``, ``file``, ``filename`` or ``path`` (any case) holds them instead,
as text, and is no feature (a running number would separate any two files perfectly); its values must
be present and unique.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from tlcore.data.archive import READ_ERRORS, open_zip
from tlcore.data.csv_text import read_csv_frame
from tlcore.data.domain import Domain
from tlcore.errors import TLError
from tlcore.limits import Limits, format_bytes, shown_limit

LABEL_COLUMNS = ("label", "y", "class", "target")
ID_COLUMNS = ("id", "sample_id", "file", "filename", "path")
INDEX_COLUMN = "Unnamed: 0"  # pandas' name for a CSV's empty first header field, where it writes its index
NPZ_KEYS = ("X", "y", "classes")
FLOAT_BYTES = 4
# Resampling a [0, 1] image (bicubic, Lanczos) overshoots at hard edges, by up to ~0.25 in PIL: values
# this far outside are clamped. A standardised image (mean 0, std 1) cannot fit in [-0.5, 1.5].
OVERSHOOT = 0.5
FLOAT_255_ABOVE = 2.0  # a float image brighter than this holds 0..255 pixels; up to it, neither: refused
TEXT_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary)


class TextFeaturesError(TLError):
    """A table with text in feature columns, most often its label column under another name: ``what``
    says which; the callers that know how the file is read add how to name its label column."""

    def __init__(self, what: str, columns: Sequence[str]) -> None:
        super().__init__(f"{what} (the label column? name it with label=COLUMN)")
        self.what, self.columns = what, tuple(columns)


def read_npz(path: Path, limits: Limits, label: str) -> Domain:
    """Load an ``.npz`` archive holding ``X`` and optionally ``y`` and ``classes``."""
    with open_zip(path, label, limits, kind=".npz file") as archive:
        members = {info.filename: info for info in archive.infolist()}
        if "X.npy" not in members:
            found = ", ".join(name.removesuffix(".npy") for name in members) or "none"
            raise TLError(f"{label} is missing the array X (found: {found})")
        arrays = {
            key: _read_npy(archive, members[f"{key}.npy"], label, limits)
            for key in NPZ_KEYS
            if f"{key}.npy" in members
        }
    X, note = _samples(arrays["X"], label)
    y, classes = None, ()
    if "y" in arrays:
        y, classes = _labels(_label_vector(arrays["y"], label), arrays.get("classes"), label)
    return _domain(label, X, y, classes, f"{label}: arrays X{tuple(arrays['X'].shape)}{note}")


def npz_labelled(path: Path, limits: Limits, label: str) -> bool:
    """Whether :func:`read_npz` reads ``path`` with labels: whether it holds ``y`` (no array is read)."""
    with open_zip(path, label, limits, kind=".npz file") as archive:
        return "y.npy" in archive.namelist()


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limits: Limits) -> np.ndarray:
    """One ``.npy`` member; its header must be plain data that fits in the member, checked first."""
    name = info.filename.removesuffix(".npy")
    try:
        with archive.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            read_header = np.lib.format.read_array_header_1_0
            if version != (1, 0):
                read_header = np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(fh)
        if dtype.hasobject:
            raise TLError(f"{label}: {name} holds object arrays, refused (loading them would run pickle)")
        claimed = math.prod(shape) * dtype.itemsize
        if claimed > info.file_size:
            raise TLError(
                f"{label}: {name} claims shape {shape} ({format_bytes(claimed)}) but holds only "
                f"{format_bytes(info.file_size)} (a forged header?)"
            )
        _check_tensor(math.prod(shape[:1]), math.prod(shape[1:]), label, limits)
        with archive.open(info) as fh:
            return np.lib.format.read_array(fh, allow_pickle=False)
    except (*READ_ERRORS, ValueError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise TLError(f"{label}: {name} is not a readable array ({reason})") from None


def read_table(path: Path, label: str, limits: Limits, label_column: str | None = None) -> Domain:
    """Load a CSV, TSV or Parquet table of feature vectors with an optional label column."""
    frame, note = _frame(path, label, limits)
    column, id_column, features = _columns(frame, label, label_column)
    ids = _column_ids(frame[id_column], label) if id_column is not None else ()
    if features.shape[1] == 0:
        raise TLError(f"{label} has no feature columns")
    _check_tensor(features.shape[0], features.shape[1], label, limits)
    values = _float32(features.to_numpy(), label, features.columns)
    y, classes = (None, ()) if column is None else _column_labels(frame[column], label)
    where = f", labels from column {column!r}" if column is not None else ""
    where += f", sample ids from column {id_column!r}" if id_column is not None else ""
    provenance = f"{label}: {values.shape[0]} rows x {values.shape[1]} features{where}{note}"
    named = not any(map(_is_unnamed, features.columns))
    meta = {"columns": tuple(str(c) for c in features.columns)} if named else {}
    return _domain(label, torch.from_numpy(values), y, classes, provenance, meta=meta, ids=ids)


def table_labelled(path: Path, label: str, limits: Limits, label_column: str | None = None) -> bool:
    """Whether :func:`read_table` reads ``path`` with labels (the table is parsed, no value converted;
    text in a feature column is refused as reading it is)."""
    return _columns(_frame(path, label, limits)[0], label, label_column)[0] is not None


def _columns(
    frame: pd.DataFrame, label: str, label_column: str | None
) -> tuple[str | None, str | None, pd.DataFrame]:
    """The label column, the sample-id column and the feature columns; text among the features: a
    :class:`TextFeaturesError`."""
    column = _label_column(frame, label, label_column)
    id_column = _id_column(frame, column)
    features = frame.drop(columns=[c for c in (column, id_column) if c is not None])
    bad = [str(c) for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise TextFeaturesError(f"{label}: non-numeric feature columns {', '.join(bad[:3])}", bad)
    return column, id_column, features


def _frame(path: Path, label: str, limits: Limits) -> tuple[pd.DataFrame, str]:
    """The parsed table without the columns that hold no feature (:func:`_drop_unnamed`), its note."""
    frame = _read_frame(path, label, limits)
    if frame.empty or not len(frame.columns):
        raise TLError(f"{label} has no rows")
    return _drop_unnamed(frame)


def _read_frame(path: Path, label: str, limits: Limits) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return _read_parquet(path, label, limits)
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
    _check_tensor(meta.num_rows, meta.num_columns, label, limits)
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > limits.max_uncompressed_bytes:
        raise TLError(
            f"{label} unpacks to {format_bytes(unpacked)} uncompressed, more than the limit of "
            + shown_limit(limits, "max_uncompressed_bytes")
        )
    if nested:
        raise TLError(f"{label}: column {nested[0]!r} holds nested values; use flat columns")


def _check_tensor(rows: int, columns: int, label: str, limits: Limits) -> None:
    """Refuse ``rows`` samples of ``columns`` values each above ``max_tensor_bytes`` as float32."""
    need = rows * columns * FLOAT_BYTES
    if need > limits.max_tensor_bytes:
        raise TLError(
            f"{label}: {rows} rows x {columns} values need {format_bytes(need)}, above the tensor limit of "
            + shown_limit(limits, "max_tensor_bytes")
        )


def _drop_unnamed(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Drop unnamed columns that hold no feature, with a provenance note: an index pandas wrote (a
    first column ``Unnamed: 0`` holding ``0..N-1``) and empty ones (lines ending in a separator)."""
    note = ""
    if frame.columns[0] == INDEX_COLUMN and np.array_equal(frame[INDEX_COLUMN], np.arange(len(frame))):
        frame, note = frame.drop(columns=[INDEX_COLUMN]), f"; index column {INDEX_COLUMN!r} dropped"
    empty = [c for c in frame.columns if _is_unnamed(c) and frame[c].isna().all()]
    if empty:
        frame = frame.drop(columns=empty)
        note += f"; {len(empty)} empty column{'s' if len(empty) > 1 else ''} dropped"
    return frame, note


def _is_unnamed(column: object) -> bool:
    """A column of a CSV without a header (numbered) or under an empty header field (``Unnamed: 3``)."""
    return not isinstance(column, str) or column.startswith("Unnamed: ")


def _label_column(frame: pd.DataFrame, label: str, wanted: str | None) -> object | None:
    names = {str(c): c for c in frame.columns}
    if wanted is not None:
        if wanted not in names:
            raise TLError(f"{label} has no column {wanted!r} (columns: {', '.join(list(names)[:8])})")
        return names[wanted]
    lowered = {name.lower(): column for name, column in names.items()}
    named = next((lowered[c] for c in LABEL_COLUMNS if c in lowered), None)
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if named is None and len(text) == 1 and not any(isinstance(c, str) for c in frame.columns):
        return text[0]  # a file without a header: its one text column can only be the labels
    return named


def _id_column(frame: pd.DataFrame, label_column: object | None) -> object | None:
    """The first column named as :data:`ID_COLUMNS` says (not the label column), or None."""
    return next(
        (c for c in frame.columns if isinstance(c, str) and c.lower() in ID_COLUMNS and c != label_column),
        None,
    )


def _column_ids(values: pd.Series, label: str) -> tuple[str, ...]:
    """The id column's values as text (integers without a decimal point); missing or repeated refused."""
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise TLError(f"{label}: column {values.name!r} (the sample ids) is empty in data row {row}")
    if pd.api.types.is_float_dtype(values) and (values == values.round()).all():
        values = values.astype(np.int64)
    ids = tuple(str(v) for v in _decoded(values.to_numpy(), label))
    if len(set(ids)) < len(ids):
        repeated = pd.Series(ids).duplicated(keep=False)
        first = ids[int(np.flatnonzero(repeated.to_numpy())[0])]
        raise TLError(
            f"{label}: column {values.name!r} repeats the sample id {first!r}; sample ids must be unique "
            "(rename the column if it is a feature)"
        )
    return ids


def _samples(X: np.ndarray, label: str) -> tuple[torch.Tensor, str]:
    """Features ``N x D`` as they are, images as ``N x C x H x W`` in [0, 1]; plus a provenance note."""
    if X.dtype.kind not in "biuf":
        raise TLError(f"{label}: X must be numeric, got dtype {X.dtype}")
    if X.ndim == 3:
        X = X[:, None]
    elif X.ndim == 4 and X.shape[1] not in (1, 3) and X.shape[-1] in (1, 3):
        X = X.transpose(0, 3, 1, 2)  # N x H x W x C
    if X.ndim not in (2, 4) or (X.ndim == 4 and X.shape[1] not in (1, 3)):
        raise TLError(
            f"{label}: X of shape {X.shape} is neither N x D features nor images with 1 or 3 channels"
        )
    if X.size == 0:
        raise TLError(f"{label}: X of shape {X.shape} has no samples or no features")
    values = np.ascontiguousarray(_float32(X, label))
    if X.ndim == 2:
        return torch.from_numpy(values), ""
    low, high = float(values.min()), float(values.max())
    scale = _pixel_scale(X.dtype, low, high)
    if scale is None:
        raise TLError(
            f"{label}: image values from {low:.3g} to {high:.3g} are neither in [0, 1] nor in 0..255"
        )
    pixels = values / scale
    np.clip(pixels, 0.0, 1.0, out=pixels)
    note = ", scaled from 0..255" if scale == 255 else ""
    return torch.from_numpy(pixels), note + (", clamped to [0, 1]" if low < 0 or high > scale else "")


def _pixel_scale(dtype: np.dtype, low: float, high: float) -> float | None:
    """255 for pixels in 0..255, 1 for pixels in [0, 1] (floats within ``OVERSHOOT``), None if neither."""
    if dtype.kind == "f":
        if -OVERSHOOT <= low <= high <= 1 + OVERSHOOT:
            return 1.0
        return 255.0 if low >= 0 and FLOAT_255_ABOVE < high <= 255 else None
    if dtype != np.uint8 and low >= 0 and high <= 1:
        return 1.0
    return 255.0 if low >= 0 and high <= 255 else None


def _label_vector(y: np.ndarray, label: str) -> np.ndarray:
    """One label per sample from an npz ``y``: a column ``N x 1`` flattened, one-hot rows by their argmax."""
    if y.ndim == 2 and y.shape[1] > 1 and _is_one_hot(y):
        return y.argmax(axis=1)
    if math.prod(y.shape[1:]) != 1:
        raise TLError(f"{label}: y of shape {y.shape} must hold one class label per sample (or one-hot rows)")
    return y.reshape(-1)


def _is_one_hot(y: np.ndarray) -> bool:
    """Rows of zeros with a single one."""
    return y.dtype.kind in "biuf" and bool(((y == 0) | (y == 1)).all() and (y.sum(axis=1) == 1).all())


def _labels(values: np.ndarray, names: np.ndarray | None, label: str) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Class indices and class names from raw label values (and optional names for integer labels)."""
    values = _decoded(np.asarray(values), label)
    if values.dtype.kind == "f":
        if not np.isfinite(values).all() or (values != np.round(values)).any():
            raise TLError(f"{label}: labels must be integers or names, not fractions or missing values")
        values = values.astype(np.int64)
    if values.dtype.kind == "O":
        if pd.isna(values).any():
            raise TLError(f"{label}: some labels are missing")
        values = values.astype(str)
    if values.dtype.kind not in "biuU":
        raise TLError(f"{label}: labels of dtype {values.dtype} are not supported")
    if names is not None:
        classes = tuple(str(n) for n in _decoded(np.asarray(names).reshape(-1), label))
        if len(set(classes)) != len(classes):
            raise TLError(f"{label}: classes holds duplicate names")
        if values.dtype.kind == "U" or values.min() < 0 or values.max() >= len(classes):
            raise TLError(f"{label}: y must index into the {len(classes)} names in classes")
        return torch.as_tensor(values, dtype=torch.int64), classes
    uniques, index = np.unique(values, return_inverse=True)
    return torch.as_tensor(index, dtype=torch.int64), tuple(str(u) for u in uniques.tolist())


def _decoded(values: np.ndarray, label: str) -> np.ndarray:
    """Byte strings (how HDF5 and Parquet binary columns hold text) as UTF-8 text; others as they are."""
    if values.dtype.kind == "O" and len(values) and all(isinstance(v, bytes) for v in values):
        values = values.astype(bytes)
    if values.dtype.kind != "S":
        return values
    try:
        return np.char.decode(values, "utf-8")
    except UnicodeDecodeError:
        raise TLError(f"{label}: a text column holds bytes that are not UTF-8 text") from None


def _column_labels(column: pd.Series, label: str) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Labels of a table column; a categorical one through its categories (never expanded per row)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return _labels(column.to_numpy(), None, label)
    if column.isna().any():
        raise TLError(f"{label}: some labels are missing")
    column = column.cat.remove_unused_categories()
    position, classes = _labels(column.cat.categories.to_numpy(), None, label)
    return position[torch.from_numpy(column.cat.codes.to_numpy().astype(np.int64))], classes


def _float32(values: np.ndarray, label: str, columns: Sequence[object] = ()) -> np.ndarray:
    """``values`` as float32; NaN, infinite values and values beyond float32's range (about ±3.4e38,
    which the cast would make infinite) refused, the first one's row named and, given ``columns``, its
    column."""
    values = np.asarray(values)
    bad = ~np.isfinite(values)
    if bad.any():
        raise TLError(
            f"{label}: {int(bad.sum())} missing or infinite values (first in {_where(bad, columns)})"
        )
    with np.errstate(over="ignore"):
        out = values.astype(np.float32)
    huge = np.isinf(out)
    if huge.any():
        raise TLError(
            f"{label}: {int(huge.sum())} values beyond float32's range of ±3.4e38 "
            f"(first in {_where(huge, columns)}: {values[tuple(np.argwhere(huge)[0])]:.3g})"
        )
    return out


def _where(bad: np.ndarray, columns: Sequence[object]) -> str:
    """``row 3, column 'x'``: the first flagged cell of ``bad`` (rows counted from 1)."""
    at = np.argwhere(bad)[0]
    return f"row {at[0] + 1}" + (f", column {str(columns[at[1]])!r}" if len(columns) else "")


def _domain(
    label: str,
    X: torch.Tensor,
    y: torch.Tensor | None,
    classes: tuple[str, ...],
    prov: str,
    *,
    meta: dict[str, Any] | None = None,
    ids: tuple[str, ...] = (),
) -> Domain:
    if y is not None and len(y) != len(X):
        raise TLError(f"{label}: {len(X)} samples but {len(y)} labels")
    return Domain(name=label, X=X, y=y, classes=classes, provenance=prov, meta=meta or {}, ids=ids)
