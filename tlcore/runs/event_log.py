"""Reading a run's event log (``history.jsonl``, one progress event per line) from a byte offset on."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any


def read_events(
    path: Path, offset: int = 0, kinds: Collection[str] | None = None
) -> tuple[list[dict[str, Any]], int]:
    """The events (optionally only some kinds) of the whole lines of ``path`` from byte ``offset`` on,
    and the offset after the last of them: passed back, a reader reads only newer events. A line
    still being written waits for the next read; one cut short by a kill is skipped. A missing file
    → :class:`FileNotFoundError`."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    whole, events = data.rfind(b"\n") + 1, []
    for line in data[:whole].splitlines():
        with contextlib.suppress(ValueError):  # json's error, or a character cut in two
            event = json.loads(line)
            if kinds is None or event.get("kind") in kinds:
                events.append(event)
    return events, offset + whole
