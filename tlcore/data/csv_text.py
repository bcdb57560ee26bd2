"""How a CSV file's text becomes a frame: its dialect, its header, its size checked on the first line.

The dialect (:func:`_dialect`): a comma separates, or a semicolon or tab when the first line holds
no comma, or when it does but splitting the first lines at commas gives rows of different lengths
and at semicolons (or tabs) rows of one length (a header ``Temp, °C`` in a semicolon export); with
semicolons, numbers like ``1,5`` mean 1.5 when the first lines hold them (Excel in many locales
writes both); the text is UTF-8, else Windows-1252 (Excel on Windows; never NUL bytes, so a UTF-16
file stays refused). The first line is the header when it is the column positions ``0..D-1`` (what
pandas writes for an unnamed frame, after an empty field for its index) or when one of its text
fields is not a value of the column below; otherwise it is a sample: numbers (``np.savetxt``), or
text that is a label of its column (UCI's ``5.1,3.5,1.4,0.2,Iris-setosa``). Rows that split into
different numbers of fields are refused naming the separator read and why (:func:`_ragged`); pandas'
other errors reach the caller (:mod:`tlcore.data.tables`), which turns them into one line.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from tlcore.errors import TLError
from tlcore.limits import Limits, env_var

DIALECT_BYTES = 1 << 16  # the start of a CSV its separator and decimal mark are read from
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}  # in the order they are tried
EVEN_LINES = 20  # the first lines whose field counts tell a separator (:func:`_even`)
DECIMAL_COMMA = re.compile(r"(?:^|;)\s*-?\d+,\d+\s*(?:;|$)", re.MULTILINE)  # a field like 1,5


def read_csv_frame(path: Path, label: str, limits: Limits) -> pd.DataFrame:
    """The CSV or TSV at ``path`` as a frame (module rules); ``label`` names it in messages."""
    how = _dialect(path, tsv=path.suffix.lower() == ".tsv")
    _check_first_line(path, how["sep"], label, limits)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)  # a long row would be cut silently
        try:
            return _read(path, how, label)
        except UnicodeDecodeError:  # not UTF-8: Excel on Windows writes Windows-1252, never NUL
            with path.open("rb") as fh:
                if b"\0" in fh.read(DIALECT_BYTES):  # UTF-16, say: not a text this reads
                    raise
            return _read(path, {**how, "encoding": "cp1252"}, label)
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            raise TLError(_ragged(label, how["sep"], tsv=path.suffix.lower() == ".tsv")) from None


def _ragged(label: str, sep: str, *, tsv: bool) -> str:
    """The refusal of a table whose rows split at ``sep`` into different numbers of fields: the
    separator guessed, why, and how to get another."""
    why = "a .tsv file" if tsv else "the first line " + ("holds one" if sep == "," else "holds no comma")
    return (
        f"{label} is not a well-formed table: split at {SEPARATORS[sep]}, the separator read ({why}), it "
        "gives rows of different lengths; a file separated otherwise whose header holds a comma: quote "
        "that header field, or save the file with tabs as .tsv"
    )


def _dialect(path: Path, tsv: bool) -> dict[str, str]:
    """How to read a CSV: its separator (``,``; ``;`` or a tab when its first line has no comma but
    holds those), with ``;`` its decimal mark (a comma when the first lines hold numbers like ``1,5``:
    Excel in many locales writes both) and, first, UTF-8."""
    if tsv:
        return {"sep": "\t", "decimal": ".", "encoding": "utf-8"}
    with path.open("rb") as fh:
        head = fh.read(DIALECT_BYTES).decode("utf-8", errors="replace")
    first = head.partition("\n")[0]
    sep = next((s for s in SEPARATORS if s in first), ",")
    if sep == "," and not _even(head, sep):
        sep = next((s for s in SEPARATORS if s != "," and s in first and _even(head, s)), sep)
    decimal = "," if sep == ";" and DECIMAL_COMMA.search(head) else "."
    return {"sep": sep, "decimal": decimal, "encoding": "utf-8"}


def _even(head: str, sep: str) -> bool:
    """Whether the first :data:`EVEN_LINES` whole lines of ``head`` split at ``sep`` (quotes
    respected) into one number of fields, more than one."""
    lines = head.splitlines()
    lines = lines[:-1] if len(lines) > 1 and not head.endswith("\n") else lines  # the last one cut off
    lines = lines[:EVEN_LINES]
    widths = {len(row) for row in csv.reader(lines, delimiter=sep) if row}
    return len(widths) == 1 and widths.pop() > 1


def _read(path: Path, dialect: dict[str, str], label: str) -> pd.DataFrame:
    """A CSV/TSV read with its first line as the header, read again without one if that line is a
    sample. A header naming a column twice is refused (pandas would call the second ``name.1``)."""
    first = pd.read_csv(path, header=None, nrows=1, dtype=str, **dialect).iloc[0].tolist()
    frame = pd.read_csv(path, header=0, index_col=False, **dialect)
    if not _is_header(first, frame):
        return pd.read_csv(path, header=None, index_col=False, **dialect)
    twice = [name for name, n in Counter(f for f in first if isinstance(f, str)).items() if n > 1]
    if twice:
        raise TLError(f"{label}: the header names column {twice[0]!r} more than once; name each column once")
    return frame


def _is_header(first: list[object], below: pd.DataFrame) -> bool:
    """Whether a CSV's first line (its fields, NaN where empty) names the columns of the rows ``below``.

    It does when it is exactly the column positions ``0..D-1`` (pandas' names for an unnamed frame,
    after an empty field where the index was written), or when a text field is not a value of the
    column below it: a name over numbers, or over labels it is not one of. A line whose text fields
    are values of their columns (``5.1,3.5,1.4,0.2,Iris-setosa``) is a sample.
    """
    names = first[1:] if pd.isna(first[0]) else first
    if names == [str(i) for i in range(len(names))]:
        return True
    return any(
        isinstance(field, str) and not _is_number(field) and not (below[column] == field).any()
        for field, column in zip(first, below.columns, strict=True)
    )


def _check_first_line(path: Path, sep: str, label: str, limits: Limits) -> None:
    """Refuse a CSV whose first line has too many columns before pandas spends minutes on it."""
    columns = 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            line, newline, _ = chunk.partition(b"\n")
            columns += line.count(sep.encode())  # quoted separators count too: an upper bound
            if columns > limits.max_table_columns:
                raise TLError(
                    f"{label} has more than {limits.max_table_columns} columns, the limit "
                    f"({env_var('max_table_columns')}); store wider features in an .npz"
                )
            if newline:
                return


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True
