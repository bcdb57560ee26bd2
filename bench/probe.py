"""Wall time of a block of code, and this process's resident memory (current and peak).

Peaks are only meaningful in a fresh process (:mod:`bench.mmd_cell`): a long-lived one reuses
memory freed by earlier work without its resident set growing.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MIB = 2**20
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Current resident set size of this process (0 where ``/proc`` is missing)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0


def reset_peak_rss() -> None:
    """Reset this process's peak RSS (``VmHWM``) to its current RSS, where Linux allows it."""
    with contextlib.suppress(OSError):  # otherwise the peak counts from the exec: a fresh process anyway
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_bytes() -> int:
    """Peak resident set size of this process's memory (``VmHWM``), reset at exec, unlike ``ru_maxrss``
    which a child inherits from its parent (0 where ``/proc`` is missing)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    line = next((row for row in status.splitlines() if row.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) * 1024


@dataclass
class Probe:
    """Filled when the ``with probe() as p`` block ends."""

    seconds: float = float("nan")


@contextmanager
def probe() -> Iterator[Probe]:
    """Measure the wall time of the ``with`` block."""
    result = Probe()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
