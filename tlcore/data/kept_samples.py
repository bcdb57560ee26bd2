"""A data file's bytes without some of its samples, named by their sample ids
(:attr:`tlcore.data.domain.Domain.ids`), in the file's own format, so the kept samples keep their ids
where the format carries them:

* a ``.zip`` of images: every member but the dropped images, copied byte for byte (ids: member paths);
* a table (CSV, TSV, Parquet): the kept rows; ids from an id column stay, and a table whose ids are its
  data rows gets an ``id`` column holding them (:data:`~tlcore.data.tables.ID_COLUMNS`), so the kept
  rows keep their numbers (a table without a header gets one for it: :func:`_ided`);
* an ``.npz``: the kept rows of ``X`` and ``y`` (ids: rows, numbered again from 0: the format has no
  place for others).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tlcore.data.archive import member_parts
from tlcore.data.tables import ID_COLUMNS, PARQUET, has_header, table_rows
from tlcore.limits import Limits

ROW_IDS = ID_COLUMNS[0]  # "id": the column a table whose ids are its data rows gets, read back as ids


def without_samples(
    path: Path, drop: Collection[str], limits: Limits, label: str, label_column: str | None = None
) -> bytes:
    """The bytes of the file at ``path`` (read as ``label``; a table's label column ``label_column``)
    less the samples whose ids are in ``drop`` (a file: its caller refuses a folder)."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _zip_without(path, set(drop))
    if suffix == ".npz":
        return _npz_without(path, set(drop))
    return _table_without(path, set(drop), limits, label, label_column)


def _zip_without(path: Path, drop: set[str]) -> bytes:
    """A zip of every member of ``path`` but those whose path (as the image reader names it) is dropped."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as kept:
        for info in source.infolist():
            if "/".join(member_parts(info.filename)) not in drop:
                kept.writestr(info, source.read(info))
    return out.getvalue()


def _npz_without(path: Path, drop: set[str]) -> bytes:
    """The ``.npz`` at ``path`` with the rows of ``X`` and ``y`` numbered in ``drop`` left out."""
    with np.load(path, allow_pickle=False) as arrays:
        stored = {key: arrays[key] for key in arrays.files}
    kept = [i for i in range(len(stored["X"])) if str(i) not in drop]
    rows = {key: stored[key][kept] for key in ("X", "y") if key in stored}
    out = io.BytesIO()
    np.savez(out, **(stored | rows))
    return out.getvalue()


def _table_without(path: Path, drop: set[str], limits: Limits, label: str, label_column: str | None) -> bytes:
    """The table at ``path`` (CSV, TSV or Parquet, written as its suffix says) without the rows whose
    ids are dropped; rows numbered as ids keep their numbers in a :data:`ROW_IDS` column (:func:`_ided`)."""
    frame, ids, from_column, labels = table_rows(path, label, limits, label_column)
    if not from_column:
        frame = _ided(frame, ids, labels, label_column)
    kept = frame[[i not in drop for i in ids]]
    out = io.BytesIO()
    if path.suffix.lower() in PARQUET:
        kept.to_parquet(out, index=False)
    else:
        kept.to_csv(out, index=False, sep="\t" if path.suffix.lower() == ".tsv" else ",")
    return out.getvalue()


def _ided(
    frame: pd.DataFrame, ids: Sequence[str], labels: object | None, label_column: str | None
) -> pd.DataFrame:
    """``frame`` whose rows are numbered as ids with those numbers in a first :data:`ROW_IDS` column
    (unless a column is so named). A table without a header gets one: ``id``, the label column
    ``labels`` named as the spec names it (``label_column``, else ``label``, which the reader finds),
    the feature columns left unnamed (empty fields: still taken by position)."""
    if any(str(c).lower() in ID_COLUMNS for c in frame.columns):
        return frame
    if not has_header(frame):
        frame = frame.set_axis(
            [(label_column or "label") if c == labels else "" for c in frame.columns], axis=1
        )
    else:
        frame = frame.copy()
    frame.insert(0, ROW_IDS, list(map(int, ids)))
    return frame
