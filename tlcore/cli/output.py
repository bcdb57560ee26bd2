"""Output helpers shared by the CLI commands: JSON to stdout, a progress bar on stderr, HTML reports
(``diagnose --report``, ``runs rank --report``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tlcore.errors import TLError
from tlcore.workspace import atomic_write


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def check_report(path: Path) -> None:
    """A one-line :class:`TLError` unless ``--report path`` can be written: its folder exists and it is
    not a folder itself (checked before the work, so a bad path costs nothing)."""
    if not path.parent.is_dir():
        raise TLError(f"--report {path}: no folder {path.parent}")
    if path.is_dir():
        raise TLError(f"--report {path}: it is a folder; name an .html file")


def write_report(path: Path, page: str) -> None:
    """Write the HTML ``page`` to ``path`` atomically (readers see all or nothing); a one-line
    :class:`TLError` when it cannot be written."""
    try:
        atomic_write(path, lambda temp: temp.write_text(page, encoding="utf-8"))
    except OSError as exc:
        raise TLError(f"--report {path}: cannot write it ({exc.strerror or exc})") from None


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
        sys.stderr.write(f"\r{self.label} [{bar}] {fraction:6.1%} {message}"[:120].ljust(120))
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
