"""How a CSV file's text becomes a frame: its dialect, its header, its size checked on the first line.

The dialect (:func:`_dialect`): a comma separates, or a semicolon or tab when the first line holds
no comma, or when it does but splitting the first lines at commas gives rows of different lengths
and at semicolons (or tabs) rows of one length (a header ``Temp, °C`` in a semicolon export); with
semicolons, numbers like ``1,5`` mean 1.5 when the first lines hold them (Excel in many locales
writes both); the text is UTF-8, else Windows-1252 (Excel on Windows; never NUL bytes, so a UTF-16
file stays refused). The first line's fields vote whether it is the header or a sample, the column
positions ``0..k-1`` that pandas writes for a frame's numbered columns (after an empty field for its
index) as names (:func:`_positions`), the others each against the column below it, as
:class:`csv.Sniffer` checks a header's type against its column's (:func:`_votes`): a number, or a
text that is a value of its column (UCI's ``5.1,3.5,1.4,0.2,Iris-setosa``), looks like a value; a
text over a column of numbers, or a text that is none of the values of a column that repeats them,
looks like a name (a text over a column whose values are all different, as a two-row file's are,
tells neither). The side with more votes wins (a tie: the header); when the other side has some too,
or neither has any, the data cannot tell, and the read's note says how it was read and how to make
the file say otherwise (:func:`_header_note`). Rows that split into different numbers of fields are
refused naming the separator read and why (:func:`_ragged`); pandas' other errors reach the caller
(:mod:`tlcore.data.tables`), which turns them into one line.
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


def read_csv_frame(path: Path, label: str, limits: Limits) -> tuple[pd.DataFrame, str]:
    """The CSV or TSV at ``path`` as a frame (module rules) and its note ('' when its first line is
    plainly a header or a sample: :func:`_header_note`); ``label`` names it in messages."""
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


def _read(path: Path, dialect: dict[str, str], label: str) -> tuple[pd.DataFrame, str]:
    """A CSV/TSV read with its first line as the header, read again without one if that line is a
    sample, with :func:`_header_note`. A header naming a column twice is refused (pandas would call
    the second ``name.1``)."""
    first = pd.read_csv(path, header=None, nrows=1, dtype=str, **dialect).iloc[0].tolist()
    frame = pd.read_csv(path, header=0, index_col=False, **dialect)
    votes = _votes(first, frame)
    note = _header_note(votes)
    if votes[1] > votes[0]:
        return pd.read_csv(path, header=None, index_col=False, **dialect), note
    twice = [name for name, n in Counter(f for f in first if isinstance(f, str)).items() if n > 1]
    if twice:
        raise TLError(f"{label}: the header names column {twice[0]!r} more than once; name each column once")
    return frame, note


def _votes(first: list[object], below: pd.DataFrame) -> tuple[int, int]:
    """How many of a CSV's first line's fields (NaN where empty) look like names of the columns of
    the rows ``below``, and how many like values (module rules); an empty field, or one over a column
    empty in every row, votes for neither."""
    names, values = _positions(first), 0
    for field, column in list(zip(first, below.columns, strict=True))[names + pd.isna(first[0]) :]:
        cells = below[column].dropna()
        if pd.isna(field) or (cells.empty and not _is_number(field)):
            continue
        if _is_number(field):
            values += 1
        elif _numbers(cells):
            names += 1  # a name over numbers
        elif (cells.astype(str) == field).any():
            values += 1
        elif not cells.is_unique:
            names += 1  # none of the values its column repeats
    return names, values


def _positions(first: list[object]) -> int:
    """How many of a first line's fields (after an empty one, where pandas wrote its index) are
    pandas' names for a frame's numbered columns, ``0..k-1``: all of them, or two or more followed by
    no number (``0,1,2,label``: a numbered frame given a label column); else 0."""
    names = first[1:] if pd.isna(first[0]) else first
    k = next((i for i, name in enumerate(names) if name != str(i)), len(names))
    plain = k == len(names) or (k >= 2 and not any(_is_number(f) for f in names[k:] if not pd.isna(f)))
    return k if plain else 0


def _numbers(cells: pd.Series) -> bool:
    """Whether every one of a column's (present) cells is a number (``True``/``False`` are not)."""
    if pd.api.types.is_bool_dtype(cells):
        return False
    return pd.api.types.is_numeric_dtype(cells) or bool(pd.to_numeric(cells, errors="coerce").notna().all())


def _header_note(votes: tuple[int, int]) -> str:
    """The note of a first line whose fields' ``votes`` (:func:`_votes`: as names, as values) do not
    all go one way: how it was read and how to make the file say otherwise ('' when they do)."""
    names, values = votes
    if bool(names) != bool(values):
        return ""
    looks = f"its fields read as {_count(names, 'column name')} and {_count(values, 'value')}"
    looks = looks if names else "none of its fields tells a column name from a value"
    if values > names:
        return (
            f"; line 1 of the file read as a sample, not a header: {looks}; if it names the columns, "
            "give them names that are neither numbers nor values of the rows below"
        )
    return (
        f"; line 1 of the file read as the header: {looks}; if it is a sample, add a line above it "
        "naming the columns"
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


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
