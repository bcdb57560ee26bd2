"""The torch threads a run trained on: they split torch's sums, so they key its cached baseline
(:class:`~tlcore.adapt.cache.BaselineKey`) and say whether a repeat gives its numbers.

A done run's result records them (``info.torch_threads``); a run that ended before its result (failed,
cancelled, interrupted) or is still running keeps them in its baseline's stage event
(:data:`~tlcore.events.TORCH_THREADS`), written when the baseline stage starts, so ``diagnose --features
baseline:ID`` of a run that failed in its adapt stage finds the baseline it trained.
"""

from __future__ import annotations

from tlcore.errors import TLError
from tlcore.events import TORCH_THREADS
from tlcore.runs.event_log import read_events
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import read_result
from tlcore.runs.run_files import HISTORY_FILE


def trained_threads(record: RunRecord) -> int | None:
    """The torch threads the run ``record`` trained on: its result's when done, else its baseline stage
    event's; None where neither says (stored before counts were kept, a run that ended before its
    baseline stage, or a file that does not read)."""
    try:
        if record.status == "done":
            threads = read_result(record.folder).get("info", {}).get("torch_threads")
        else:
            events, _ = read_events(record.folder / HISTORY_FILE, kinds={"stage"})
            baseline = [e.get("metrics") or {} for e in events if e.get("stage") == "baseline"]
            threads = next((m[TORCH_THREADS] for m in baseline if TORCH_THREADS in m), None)
    except (TLError, OSError):  # OSError: no event log (a run that never started)
        return None
    return threads if isinstance(threads, int) else None
