"""What arrays and tables share on their way to a :class:`Domain`: the tensor-size limit, float32
values (missing, infinite or out-of-range values refused by row and column), and labels.

Labels become class names (integers as ``"3"``; byte strings, as HDF5 and Parquet binary columns
hold text, decoded as UTF-8) sorted by value; missing or infinite values are refused.

A column that counts rows (:func:`looks_like_row_number`) is a sample id, not a feature: a running
number tells any two files apart perfectly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from tlcore.data.domain import Domain, shown_column
from tlcore.errors import TLError
from tlcore.limits import Limits, format_bytes, shown_limit
from tlcore.numbers import plural

FLOAT_BYTES = 4
ROW_NUMBER_MIN = 20  # fewer values than this are too few to call a running number


def check_tensor(rows: int, columns: int, label: str, limits: Limits) -> None:
    """Refuse ``rows`` samples of ``columns`` values each above ``max_tensor_bytes`` as float32."""
    need = rows * columns * FLOAT_BYTES
    if need > limits.max_tensor_bytes:
        raise TLError(
            f"{label}: {rows} rows x {columns} values need {format_bytes(need)}, above the tensor limit of "
            + shown_limit(limits, "max_tensor_bytes")
        )


def class_labels(
    values: np.ndarray, names: np.ndarray | None, label: str, array: str = ""
) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Class indices and class names from raw label values (and optional names for integer labels);
    ``array`` names the values as an array of an ``.npz`` (``y``): a refusal names its first bad label
    as numpy indexes it, ``y[5] = nan``."""
    values = decoded_text(np.asarray(values), label)
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            raise TLError(
                f"{label}: labels must be integers or names, not fractions or missing values"
                + _first_label(values, bad, array)
            )
        values = values.astype(np.int64)
    if values.dtype.kind == "O":
        missing = pd.isna(values)
        if missing.any():
            raise TLError(f"{label}: some labels are missing" + _first_label(values, missing, array))
        values = values.astype(str)
    if values.dtype.kind not in "biuU":
        raise TLError(f"{label}: labels of dtype {values.dtype} are not supported")
    if names is not None:
        classes = tuple(str(n) for n in decoded_text(np.asarray(names).reshape(-1), label))
        if len(set(classes)) != len(classes):
            raise TLError(f"{label}: classes holds duplicate names")
        outside = (values < 0) | (values >= len(classes)) if values.dtype.kind != "U" else None
        if outside is None or outside.any():
            where = "" if outside is None else _first_label(values, outside, array)
            raise TLError(f"{label}: y must index into the {len(classes)} names in classes{where}")
        return torch.as_tensor(values, dtype=torch.int64), classes
    uniques, index = np.unique(values, return_inverse=True)
    return torch.as_tensor(index, dtype=torch.int64), tuple(str(u) for u in uniques.tolist())


def _first_label(values: np.ndarray, bad: np.ndarray, array: str) -> str:
    """`` (first: y[5] = nan)``: the first flagged label of the array ``array`` (0-based, as numpy
    indexes it); '' when the values are not named as an array."""
    if not array:
        return ""
    i = int(np.flatnonzero(bad)[0])
    value = values[i].item() if isinstance(values[i], np.generic) else values[i]
    return f" (first: {array}[{i}] = {value!r})"


def decoded_text(values: np.ndarray, label: str) -> np.ndarray:
    """Byte strings (how HDF5 and Parquet binary columns hold text) as UTF-8 text; others as they are."""
    if values.dtype.kind == "O" and len(values) and all(isinstance(v, bytes) for v in values):
        values = values.astype(bytes)
    if values.dtype.kind != "S":
        return values
    try:
        return np.char.decode(values, "utf-8")
    except UnicodeDecodeError:
        raise TLError(f"{label}: a text column holds bytes that are not UTF-8 text") from None


def float32_values(
    values: np.ndarray,
    label: str,
    columns: Sequence[object] = (),
    rows: Callable[[int], str] | None = None,
    *,
    array: str = "",
    file_columns: Sequence[int] = (),
) -> np.ndarray:
    """``values`` as float32; NaN, infinite values and values beyond float32's range (about ±3.4e38,
    which the cast would make infinite) refused, the first one's row named (``rows`` names row ``i``;
    default ``row i+1``) and, given ``columns`` (names in the domain), its column (a place of a table
    without a header as the column of its file, ``file_columns``:
    :func:`~tlcore.data.domain.shown_column`); ``array`` names the values as an array of
    an ``.npz`` (``X``): the first one is named as numpy indexes it, ``X[17, 3]`` (a vector), ``X[17]``
    (an image)."""
    values = np.asarray(values)
    bad = ~np.isfinite(values)
    if bad.any():
        raise TLError(
            f"{label}: {plural(int(bad.sum()), 'missing or infinite value')} "
            f"(first in {_where(bad, columns, rows, array, file_columns)})"
        )
    with np.errstate(over="ignore"):
        out = values.astype(np.float32)
    huge = np.isinf(out)
    if huge.any():
        first = values[tuple(np.argwhere(huge)[0])]
        raise TLError(
            f"{label}: {plural(int(huge.sum()), 'value')} beyond float32's range of ±3.4e38 "
            f"(first in {_where(huge, columns, rows, array, file_columns)}: {first:.3g})"
        )
    return out


def _where(
    bad: np.ndarray,
    columns: Sequence[object],
    rows: Callable[[int], str] | None,
    array: str,
    file_columns: Sequence[int] = (),
) -> str:
    """``row 3, column 'x'``: the first flagged cell of ``bad`` (rows counted from 1, or as ``rows``
    names them); of an ``array``, ``X[2, 0]`` (0-based, as numpy indexes it; a sample of more than one
    axis by its index alone, ``X[2]``)."""
    at = np.argwhere(bad)[0]
    if array:
        return f"{array}[{at[0]}, {at[1]}]" if bad.ndim == 2 else f"{array}[{at[0]}]"
    row = rows(int(at[0])) if rows else f"row {at[0] + 1}"
    return row + (f", {shown_column(str(columns[at[1]]), file_columns)}" if len(columns) else "")


def array_domain(
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


def looks_like_row_number(values: np.ndarray) -> bool:
    """Whether a column counts rows: at least :data:`ROW_NUMBER_MIN` finite integer values, each
    different and dense, spanning at most twice as many numbers as there are rows (a running number in
    any order, from any start, some rows left out: 0..N-1 sorted, 1000.. shuffled; not a timestamp or
    a count that happens to differ in every row)."""
    if np.asarray(values).dtype.kind not in "iuf":  # text, booleans: not a number of a row
        return False
    v = np.asarray(values, dtype=np.float64).ravel()
    if len(v) < ROW_NUMBER_MIN or not np.isfinite(v).all() or (v != np.round(v)).any():
        return False
    return len(np.unique(v)) == len(v) and v.max() - v.min() + 1 <= 2 * len(v)
