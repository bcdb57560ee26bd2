"""One row per prediction in a ``.csv`` or ``.parquet`` file, written a batch at a time through
:func:`tlcore.workspace.atomic_write` (all or nothing) while
:class:`tlcore.prediction_summary.Tally` sums them up.

>>> summary = write_predictions("scans.csv", predict_rows(trained, load_data(trained, "upload:scans.zip")))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tlcore.data.spec_text import parse_spec
from tlcore.errors import TLError
from tlcore.numbers import percent
from tlcore.predict import PredictionBatch
from tlcore.prediction_summary import LEAST_CONFIDENT, PredictionSummary, Tally
from tlcore.run_model_options import DEFAULT_PROBABILITIES, Probabilities
from tlcore.workspace import atomic_write

FORMATS = (".csv", ".parquet")


def rows_text(images: bool = True) -> str:
    """What a predictions file holds, for a domain of images or of feature vectors (a table)."""
    return "one row per image (per file of an upload)" if images else "one row per row of the table"


PREVIEW_ROWS = 200  # rows of a predictions file the Predict page shows as the file holds them


def preview_note(preview: pd.DataFrame, total: int) -> str:
    """What the Predict page's preview of a predictions file shows: its first rows as written, where
    ``confidence`` and the probabilities are shares from 0 to 1, as a file is read by code (QA: the
    least-confident table above it read 31.36% and the preview 0.9974, unexplained); with its first
    row's confidence as it reads in percent (``0.9974 is 99.7%``)."""
    rows = f"its first {len(preview):,} of {total:,} rows" if len(preview) < total else f"its {total:,} rows"
    example = ""
    if len(preview) and "confidence" in preview:
        first = float(preview["confidence"].iloc[0])
        example = f" (the first row's {first:.4g} is {percent(first)})"
    every = " and every class's p_" if any(str(c).startswith("p_") for c in preview.columns) else ""
    return (
        f"The file as written, {rows}: confidence, p1, p2, ...{every} are probabilities from 0 to 1"
        f"{example}; entropy in nats."
    )


_UNSAFE = re.compile(r"[^\w-]+")  # runs of characters a file name had better not hold
STEM_CHARS = 40  # the most characters of the data's name in a predictions file's name


def predictions_name(spec: str, run_id: str, *, every_class: bool = False) -> str:
    """A predictions CSV's download name, ``predictions-<data>-<run id end>.csv``: the data's file or
    dataset name without its suffixes and options, file-safe, and the end of the run's id as run labels
    end (QA helper-246: ``upload_digits_unlabelled.zip-e61196857e.csv`` named neither the predictions
    nor the run); ``every_class``: the file with every class's probability (``-every_class``)."""
    try:
        name = parse_spec(spec).name
    except TLError:  # not a spec: its own text
        name = spec
    stem = _UNSAFE.sub("_", PurePath(name).name.split(".")[0]).strip("_")[:STEM_CHARS] or "data"
    return f"predictions-{stem}-{run_id[-6:]}{'-every_class' if every_class else ''}.csv"


def check_output(path: str | Path) -> Path:
    """``path`` when predictions can be written there: a ``.csv`` or ``.parquet`` name in an
    existing folder; else a one-line :class:`TLError`, a folder this user may not look into too (as
    ``export --out``'s :func:`~tlcore.export.check_out`)."""
    if not str(path).strip():  # Path('') is the current folder
        raise TLError(f"no file named to write the predictions to: name a {' or '.join(FORMATS)} file")
    try:
        path = Path(path).expanduser()
    except RuntimeError:  # ~name of a user that does not exist
        raise TLError(f"cannot write {path}: no such user's home folder") from None
    if path.suffix.lower() not in FORMATS:
        raise TLError(f"{path.name}: predictions are written as {' or '.join(FORMATS)}")
    try:
        if not path.parent.is_dir():
            raise TLError(f"cannot write {path}: no folder {path.parent}")
        if path.is_dir():
            raise TLError(f"cannot write {path}: it is a folder")
    except OSError as exc:  # PermissionError: a folder on the way this user may not look into
        raise TLError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or CR
    first, and not a plain number) prefixed with ``'`` (OWASP's CSV-injection advice): file names
    and class names come from users' uploads. Only the CSV gets this; Parquet keeps the values."""

    def guard(value: object) -> object:
        if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
            return "'" + value
        return value

    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.assign(**{c: frame[c].map(guard) for c in text}) if text else frame


def write_predictions(
    path: str | Path,
    batches: Iterable[PredictionBatch],
    least: int = LEAST_CONFIDENT,
    *,
    probabilities: Probabilities = DEFAULT_PROBABILITIES,
) -> PredictionSummary:
    """Write one row per sample (columns of :meth:`PredictionBatch.to_frame`; ``probabilities="all"``:
    every class's p too) to a ``.csv`` or ``.parquet`` file, a batch at a time, atomically: a failure
    leaves no file. Returns their summary."""
    path = check_output(path)
    tally = Tally()

    def tallied() -> Iterator[pd.DataFrame]:
        for batch in batches:
            tally.add(batch)
            yield batch.to_frame(probabilities)

    def write(temp: Path) -> None:
        if path.suffix.lower() == ".csv":
            with temp.open("w", encoding="utf-8", newline="") as handle:
                for i, frame in enumerate(tallied()):
                    csv_safe(frame).to_csv(handle, header=i == 0, index=False)
        else:
            writer: pq.ParquetWriter | None = None
            try:
                for frame in tallied():
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    writer = writer or pq.ParquetWriter(temp, table.schema)
                    writer.write_table(table)
            finally:
                if writer is not None:
                    writer.close()
        if not tally.ids:
            raise TLError("there are no predictions to write")

    try:
        atomic_write(path, write)
    except OSError as exc:
        raise TLError(f"cannot write {path}: {exc.strerror or exc}") from None
    return tally.summary(least)
