"""One row per prediction in a ``.csv`` or ``.parquet`` file, written a batch at a time through
:func:`tlcore.workspace.atomic_write` (all or nothing) while
:class:`tlcore.prediction_summary.Tally` sums them up.

>>> summary = write_predictions("scans.csv", predict_rows(trained, load_data(trained, "upload:scans.zip")))
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tlcore.errors import TLError
from tlcore.predict import PredictionBatch
from tlcore.prediction_summary import LEAST_CONFIDENT, PredictionSummary, Tally
from tlcore.run_model_options import DEFAULT_PROBABILITIES, Probabilities
from tlcore.workspace import atomic_write

FORMATS = (".csv", ".parquet")


def rows_text(images: bool = True) -> str:
    """What a predictions file holds, for a domain of images or of feature vectors (a table)."""
    return "one row per image (per file of an upload)" if images else "one row per row of the table"


def check_output(path: str | Path) -> Path:
    """``path`` when predictions can be written there: a ``.csv`` or ``.parquet`` name in an
    existing folder; else a one-line :class:`TLError`."""
    try:
        path = Path(path).expanduser()
    except RuntimeError:  # ~name of a user that does not exist
        raise TLError(f"cannot write {path}: no such user's home folder") from None
    if path.suffix.lower() not in FORMATS:
        raise TLError(f"{path.name}: predictions are written as {' or '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise TLError(f"cannot write {path}: no folder {path.parent}")
    if path.is_dir():
        raise TLError(f"cannot write {path}: it is a folder")
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
    return write_prediction_files({probabilities: path}, batches, least)


def write_prediction_files(
    paths: Mapping[Probabilities, str | Path],
    batches: Iterable[PredictionBatch],
    least: int = LEAST_CONFIDENT,
) -> PredictionSummary:
    """One file per entry of ``paths`` (the probabilities it holds, its path), from one pass over
    ``batches`` (one run of the model): each the bytes :func:`write_predictions` writes for it alone, each
    atomic (a failure leaves none; they appear one after the other). Returns their summary."""
    checked = {probabilities: check_output(path) for probabilities, path in paths.items()}
    if len(set(checked.values())) < len(checked):
        raise TLError(f"one file for two kinds of predictions: {', '.join(map(str, checked.values()))}")
    tally = Tally()

    def write(temps: list[Path]) -> None:
        with contextlib.ExitStack() as stack:
            kinds = zip(temps, checked.items(), strict=True)
            files = [_File(temp, kind, path.suffix.lower() == ".csv", stack) for temp, (kind, path) in kinds]
            for batch in batches:
                tally.add(batch)
                for file in files:
                    file.write(batch)
        if not tally.ids:
            raise TLError("there are no predictions to write")

    try:
        _atomic_all(list(checked.values()), write)
    except OSError as exc:
        raise TLError(
            f"cannot write {' or '.join(map(str, checked.values()))}: {exc.strerror or exc}"
        ) from None
    return tally.summary(least)


class _File:
    """A predictions file being written to ``temp``, a batch at a time: a CSV (``csv``: its header once,
    :func:`csv_safe`) or Parquet (its schema the first batch's)."""

    def __init__(
        self, temp: Path, probabilities: Probabilities, csv: bool, stack: contextlib.ExitStack
    ) -> None:
        self.temp, self.probabilities, self.frames = temp, probabilities, 0
        self.csv = stack.enter_context(temp.open("w", encoding="utf-8", newline="")) if csv else None
        self.parquet: pq.ParquetWriter | None = None
        stack.callback(self.close)

    def write(self, batch: PredictionBatch) -> None:
        frame = batch.to_frame(self.probabilities)
        if self.csv is not None:
            csv_safe(frame).to_csv(self.csv, header=self.frames == 0, index=False)
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self.parquet = self.parquet or pq.ParquetWriter(self.temp, table.schema)
            self.parquet.write_table(table)
        self.frames += 1

    def close(self) -> None:
        if self.parquet is not None:
            self.parquet.close()


def _atomic_all(paths: list[Path], write: Callable[[list[Path]], None], temps: tuple[Path, ...] = ()) -> None:
    """``write`` the temporary files of ``paths``, then make each its path (:func:`atomic_write`, nested)."""
    if len(temps) == len(paths):
        write(list(temps))
        return
    atomic_write(paths[len(temps)], lambda temp: _atomic_all(paths, write, (*temps, temp)))
