"""Output helpers shared by the CLI commands: JSON to stdout, a progress bar on stderr, HTML reports
(``diagnose --report``, ``runs rank --report``), aligned text tables (:func:`text_table`: every
table of class names, data values or column names the commands print) and prose wrapped to the
terminal (:func:`wrapped`: every sentence the commands print; never a table or JSON)."""

from __future__ import annotations

import json
import math
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from tlcore.ellipsis import keep_start
from tlcore.errors import TLError
from tlcore.numbers import significant
from tlcore.workspace import atomic_write

NAME_CAP = 28  # the widest cell of a text table, in terminal columns: longer text ends in an ellipsis
LINE_WIDTH = 120  # the widest the progress bar's line gets, in a terminal wider still
PROSE_WIDTH = 100  # the columns prose wraps to when the terminal's width is unknown (output piped)
PROSE_MIN = 60  # prose never wraps narrower, so that a hanging indent leaves room for words


def display_width(text: str) -> int:
    """The terminal columns ``text`` takes: East Asian wide and fullwidth characters two
    (``unicodedata.east_asian_width`` W or F), combining marks none, any other character one."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text
    )


def clipped(text: str, cap: int = NAME_CAP) -> str:
    """``text`` when it takes at most ``cap`` columns, else its longest start that fits before an
    ellipsis within ``cap``."""
    return keep_start(text, cap, display_width)


def text_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, right: Collection[int] = (), cap: int = NAME_CAP
) -> list[str]:
    """``rows`` under ``header`` as aligned lines: every cell :func:`clipped` to ``cap`` columns (a
    float written by :func:`~tlcore.numbers.significant`), each column as wide as its widest cell by
    :func:`display_width`, columns two spaces apart; a column right-aligned (its header too) when its
    first row holds a number or its index is in ``right``, else left-aligned; no trailing spaces."""
    body = [list(row) for row in rows]
    numeric = {j for j, v in enumerate(body[0] if body else ()) if _number(v)} | set(right)
    cells = [
        [clipped(significant(v) if isinstance(v, float) else str(v), cap) for v in line]
        for line in [header, *body]
    ]
    widths = [max(display_width(line[j]) for line in cells) for j in range(len(header))]
    return [
        "  ".join(
            padded(c, w, j in numeric) for j, (c, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in cells
    ]


def column_blocks(widths: Sequence[int], prefix: int, width: int) -> list[range]:
    """The columns of a wide table in consecutive blocks that each fit ``width`` terminal columns
    beside the ``prefix`` columns every block repeats (its indent and row names; ``widths``: each
    column's widest cell, two spaces before it); at least one column a block."""
    blocks, start, used = [], 0, prefix
    for j, column in enumerate(widths):
        if j > start and used + 2 + column > width:
            blocks.append(range(start, j))
            start, used = j, prefix
        used += 2 + column
    return [*blocks, range(start, len(widths))] if widths else blocks


def prose_width() -> int:
    """The columns prose wraps to: the terminal's (:func:`shutil.get_terminal_size`: ``$COLUMNS``,
    else the terminal's own) or :data:`PROSE_WIDTH` when output goes to no terminal; at least
    :data:`PROSE_MIN`."""
    return max(shutil.get_terminal_size((PROSE_WIDTH, 24)).columns, PROSE_MIN)


def wrapped(text: str, first: str = "", rest: str | None = None) -> list[str]:
    """``text`` wrapped to :func:`prose_width` at spaces: its first line after ``first``, the others
    after ``rest`` (default: as many spaces as ``first``); a word longer than a line (a path, a spec)
    stays whole, hyphens never split; an empty ``text`` gives ``first`` alone."""
    hang = " " * len(first) if rest is None else rest
    return textwrap.wrap(
        text,
        prose_width(),
        initial_indent=first,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def padded(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (:func:`display_width`), on the left
    when ``right``."""
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill


def print_json(payload: Any) -> None:
    """``payload`` as one strict JSON document on stdout (every command's ``--json``): a NaN or
    infinite float as ``null``, so ``json.loads`` in any language reads it; any other value JSON
    lacks (a path, a date) as its text."""
    json.dump(_strict(payload), sys.stdout, indent=2, sort_keys=False, default=str, allow_nan=False)
    sys.stdout.write("\n")


def _strict(value: Any) -> Any:
    """``value`` with every non-finite float, at any depth of its dicts, lists and tuples, as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _strict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(item) for item in value]
    return value


def check_report(path: Path) -> None:
    """A one-line :class:`TLError` unless ``--report path`` can be written: its folder exists and it is
    not a folder itself (checked before the work, so a bad path costs nothing); a name too long for the
    file system, or a folder this user may not look into, is one line too."""
    try:
        if not path.parent.is_dir():
            raise TLError(f"--report {path}: no folder {path.parent}")
        if path.is_dir():
            raise TLError(f"--report {path}: it is a folder; name an .html file")
    except OSError as exc:
        raise TLError(f"--report {path}: cannot write it ({exc.strerror or exc})") from None


def write_report(path: Path, page: str) -> None:
    """Write the HTML ``page`` to ``path`` atomically (readers see all or nothing) and say so on stderr
    (QA helper-250: the report was written without a word, unlike ``predict --out``'s rows; stderr
    keeps ``--json``'s stdout one document); a one-line :class:`TLError` when it cannot be written."""
    try:
        atomic_write(path, lambda temp: temp.write_text(page, encoding="utf-8"))
    except OSError as exc:
        raise TLError(f"--report {path}: cannot write it ({exc.strerror or exc})") from None
    print(f"wrote the report {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


class ProgressBar:
    """A one-line text progress bar on stderr (silent when ``enabled`` is False)."""

    def __init__(self, label: str, enabled: bool = True, width: int = 30) -> None:
        self.label, self.enabled, self.width = label, enabled, width
        self.drawn = False  # close ends the bar's line only once one is drawn

    def update(self, fraction: float, message: str = "") -> None:
        if not self.enabled:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        # one column short of the terminal: a full line wraps, and \r then redraws only its last row
        # (QA helper-250: a 100-column terminal got a new line per update of these 120 columns)
        columns = min(LINE_WIDTH, shutil.get_terminal_size((LINE_WIDTH + 1, 24)).columns - 1)
        line = f"{self.label} [{bar}] {fraction:6.1%} {message}"
        sys.stderr.write("\r" + padded(clipped(line, columns), columns))
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
