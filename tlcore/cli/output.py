"""Output helpers shared by the CLI commands: JSON to stdout, a progress bar on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


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
