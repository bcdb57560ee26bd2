"""The part of a done run's ``result.json`` that the time estimate reads (:mod:`tlcore.runs.estimate`,
:mod:`tlcore.runs.estimate_start`): its stages' seconds, split sizes, network, config and each epoch's
stage. Kept per result file in this process while the file stays as it is (its modification time and
size): each estimate reads every done run of the workspace, and a result is read and parsed once, not
once per estimate (an app's config edit, a sweep's trials, each of them)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from tlcore.errors import TLError
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import RESULT_FILE, read_result

TIMING_INFO = (
    "seconds_per_stage",
    "n_source_train",
    "n_target_train",
    "n_target_test",
    "baseline_cached",
    "model",
)  # the keys of the result's ``info`` the estimate reads
KEPT = 4096  # result files whose part is kept


def timing_result(record: RunRecord) -> dict[str, Any]:
    """``{"info": ..., "config": ..., "history": [{"stage": ...}, ...]}`` of the done run's result (the
    keys :data:`TIMING_INFO` of its info), read once while the file is unchanged; shared, so read-only.
    Not done → :class:`TLError`; a result file missing or damaged →
    :class:`~tlcore.runs.result_file.UnreadableResultError` (or :class:`OSError`)."""
    if record.status != "done":
        raise TLError(f"run {record.id} has no result: it is {record.status}")
    stat = (record.folder / RESULT_FILE).stat()
    return _timing_part(str(record.folder), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=KEPT)
def _timing_part(folder: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """The timing part of the result in ``folder`` as it is at ``mtime_ns`` and ``size`` (the cache key)."""
    result = read_result(Path(folder))
    info = result.get("info") or {}
    return {
        "info": {key: info[key] for key in TIMING_INFO if key in info},
        "config": result.get("config") or {},
        "history": [{"stage": row.get("stage")} for row in result.get("history") or ()],
    }
