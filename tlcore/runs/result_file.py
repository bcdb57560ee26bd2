"""A run's ``result.json``, read by :func:`read_result` alone: a file missing, cut short or holding no
JSON object (a folder damaged by hand or by a full disk) is an :class:`UnreadableResultError` naming
it, which pools of runs catch to leave that run out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tlcore.errors import TLError

RESULT_FILE = "result.json"


class UnreadableResultError(TLError):
    """A done run's result file is missing, cut short or holds no JSON object; ``why`` says which."""

    def __init__(self, run_id: str, why: str) -> None:
        super().__init__(f"run {run_id}: {why}")
        self.why = why


def read_result(folder: Path) -> dict[str, Any]:
    """The result file in a run's ``folder``, the one reader of it; :class:`UnreadableResultError` when it
    is missing, cut short or not a JSON object."""
    path = folder / RESULT_FILE
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UnreadableResultError(folder.name, f"its result file {path} is missing") from exc
    except (OSError, ValueError) as exc:  # ValueError: JSON or UTF-8 decoding
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).splitlines()[0]
        raise UnreadableResultError(folder.name, f"its result file {path} is unreadable ({reason})") from exc
    if not isinstance(result, dict):
        raise UnreadableResultError(folder.name, f"its result file {path} is unreadable (not a JSON object)")
    return result
