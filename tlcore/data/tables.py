"""Arrays and tables as a :class:`Domain`: ``.npz`` files and CSV/TSV/Parquet feature tables.

``.npz``: an array ``X`` (``N x D`` features, ``N x H x W`` or ``N x C x H x W`` / ``N x H x W x C``
images with 1 or 3 channels; uint8 or values in [0, 255] are scaled to [0, 1]), optional ``y``
(integer or string labels) and optional ``classes`` (names for integer ``y``). Always loaded with
``allow_pickle=False``.

Tables: one row per sample, numeric feature columns, and an optional label column: the one named
by the ``label=`` option, else the first column called ``label``, ``y``, ``class`` or ``target``
(any case). A CSV whose header row is all numbers is read as having no header.

Labels become class names (integers as ``"3"``) sorted by value; missing or infinite values are
refused.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from tlcore.data.archive import check_zip
from tlcore.data.domain import Domain
from tlcore.errors import TLError
from tlcore.limits import Limits

LABEL_COLUMNS = ("label", "y", "class", "target")


def read_npz(path: Path, limits: Limits, label: str) -> Domain:
    """Load an ``.npz`` archive holding ``X`` and optionally ``y`` and ``classes``."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip(archive, label, limits)
        with np.load(path, allow_pickle=False) as npz:
            if "X" not in npz.files:
                raise TLError(f"{label} needs an array named X (found: {', '.join(npz.files) or 'none'})")
            arrays = {key: npz[key] for key in ("X", "y", "classes") if key in npz.files}
    except (zipfile.BadZipFile, OSError, EOFError):
        raise TLError(f"{label} is not a valid .npz file") from None
    except ValueError as exc:
        reason = (
            "holds object arrays, refused (no pickles)" if "pickle" in str(exc) else f"is unreadable: {exc}"
        )
        raise TLError(f"{label} {reason}") from None
    X, note = _samples(arrays["X"], label)
    y, classes = (None, ()) if "y" not in arrays else _labels(arrays["y"], arrays.get("classes"), label)
    return _domain(label, X, y, classes, f"{label}: arrays X{tuple(arrays['X'].shape)}{note}")


def read_table(path: Path, label: str, label_column: str | None = None) -> Domain:
    """Load a CSV, TSV or Parquet table of feature vectors with an optional label column."""
    frame = _read_frame(path, label)
    if frame.empty or not len(frame.columns):
        raise TLError(f"{label} has no rows")
    column = _label_column(frame, label, label_column)
    features = frame.drop(columns=[column]) if column is not None else frame
    bad = [str(c) for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise TLError(f"{label}: non-numeric feature columns {', '.join(bad[:3])} (name the label column?)")
    if features.shape[1] == 0:
        raise TLError(f"{label} has no feature columns")
    values = features.to_numpy(dtype=np.float32, copy=True)
    _check_finite(values, label)
    y, classes = (None, ()) if column is None else _labels(frame[column].to_numpy(), None, label)
    where = f", labels from column {column!r}" if column is not None else ""
    provenance = f"{label}: {values.shape[0]} rows x {values.shape[1]} features{where}"
    return _domain(label, torch.from_numpy(values), y, classes, provenance)


def _read_frame(path: Path, label: str) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        sep = "\t" if suffix == ".tsv" else ","
        first = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str).iloc[0]
        header = None if all(_is_number(v) for v in first) else 0
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a long row would be cut silently
            return pd.read_csv(path, sep=sep, header=header, index_col=False)
    except pd.errors.EmptyDataError:
        raise TLError(f"{label} is empty") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        raise TLError(f"{label} is not a well-formed table (rows of different lengths?)") from None
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise TLError(f"{label} is not a readable table: {reason}") from None


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def _label_column(frame: pd.DataFrame, label: str, wanted: str | None) -> object | None:
    names = {str(c): c for c in frame.columns}
    if wanted is not None:
        if wanted not in names:
            raise TLError(f"{label} has no column {wanted!r} (columns: {', '.join(list(names)[:8])})")
        return names[wanted]
    lowered = {name.lower(): column for name, column in names.items()}
    return next((lowered[c] for c in LABEL_COLUMNS if c in lowered), None)


def _samples(X: np.ndarray, label: str) -> tuple[torch.Tensor, str]:
    """Features ``N x D`` as they are, images as ``N x C x H x W`` in [0, 1]; plus a provenance note."""
    if X.dtype.kind not in "biuf":
        raise TLError(f"{label}: X must be numeric, got dtype {X.dtype}")
    if X.ndim == 3:
        X = X[:, None]
    elif X.ndim == 4 and X.shape[1] not in (1, 3) and X.shape[-1] in (1, 3):
        X = X.transpose(0, 3, 1, 2)  # N x H x W x C
    if X.ndim not in (2, 4) or (X.ndim == 4 and X.shape[1] not in (1, 3)) or len(X) == 0:
        raise TLError(
            f"{label}: X of shape {X.shape} is neither N x D features nor images with 1 or 3 channels"
        )
    values = np.ascontiguousarray(X, dtype=np.float32)
    _check_finite(values, label)
    if X.ndim == 2 or (values.min() >= 0 and values.max() <= 1 and X.dtype != np.uint8):
        return torch.from_numpy(values), ""
    if values.min() < 0 or values.max() > 255:
        raise TLError(f"{label}: image values must lie in [0, 1] or 0..255")
    return torch.from_numpy(values / 255.0), ", scaled from 0..255"


def _labels(values: np.ndarray, names: np.ndarray | None, label: str) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Class indices and class names from raw label values (and optional names for integer labels)."""
    values = np.asarray(values).reshape(-1)
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
        classes = tuple(str(n) for n in np.asarray(names).reshape(-1))
        if values.dtype.kind == "U" or values.min() < 0 or values.max() >= len(classes):
            raise TLError(f"{label}: y must index into the {len(classes)} names in classes")
        return torch.as_tensor(values, dtype=torch.int64), classes
    uniques, index = np.unique(values, return_inverse=True)
    return torch.as_tensor(index, dtype=torch.int64), tuple(str(u) for u in uniques.tolist())


def _check_finite(values: np.ndarray, label: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise TLError(f"{label}: {int(bad.sum())} missing or infinite values (first in row {row + 1})")


def _domain(
    label: str, X: torch.Tensor, y: torch.Tensor | None, classes: tuple[str, ...], prov: str
) -> Domain:
    if y is not None and len(y) != len(X):
        raise TLError(f"{label}: {len(X)} samples but {len(y)} labels")
    return Domain(name=label, X=X, y=y, classes=classes, provenance=prov)
