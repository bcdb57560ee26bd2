"""A done trial's numbers, read once per file version: its result's metrics (:func:`trial_metrics`)
and, over a configuration's seeds, the share of target samples they classify differently
(:func:`seed_disagreement`); :mod:`tlcore.runs.summary` aggregates them per configuration
(:class:`Stat`: mean and spread over the seeds).

Numbers per trial (from a done run's ``result.json``): ``target_accuracy`` (when the target is
labelled), ``source_accuracy``, ``source_only_accuracy``, ``seconds``, ``load_seconds`` (absent from
runs stored before it), every numeric field of
``gap_after`` (``gap_after.mmd2`` ...) and every numeric leaf under ``validators``
(``validators.after.im`` ...; read generically, skipped when absent).
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tlcore.errors import TLError
from tlcore.runs.changes import stored_predictions
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import RESULT_FILE, read_result
from tlcore.runs.run_files import PREDICTIONS_FILE
from tlcore.selection.changes import disagreement


def trial_metrics(record: RunRecord | None) -> dict[str, float]:
    """The numbers of a done run (see the module docstring); ``{}`` for any other; a done run whose
    result file is missing or damaged → :class:`~tlcore.runs.result_file.UnreadableResultError`."""
    if record is None or record.status != "done":
        return {}
    try:
        version = (record.folder / RESULT_FILE).stat().st_mtime_ns
    except OSError:  # missing: the reader says so
        version = -1
    return _metrics(record.folder, version)


@functools.lru_cache(maxsize=4096)
def _metrics(folder: Path, mtime_ns: int) -> dict[str, float]:
    """Read once per result file version: a done run's result never changes."""
    result = read_result(folder)
    out = {
        key: float(result[key])
        for key in ("target_accuracy", "source_accuracy", "source_only_accuracy", "seconds", "load_seconds")
        if _number(result.get(key))
    }
    out |= _leaves("gap_after", result.get("gap_after"))
    out |= _leaves("validators", result.get("validators"))
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _leaves(prefix: str, value: Any) -> dict[str, float]:
    """Every finite number under ``value`` as ``prefix.key.subkey``."""
    if _number(value):
        return {prefix: float(value)}
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _leaves(f"{prefix}.{key}", item).items()}
    return {}


def seed_disagreement(records: Sequence[RunRecord]) -> float | None:
    """The share of target samples the done runs ``records`` classify differently; None with fewer
    than two, or when their predictions cover other samples (a seeded subsample or random shift)."""
    read = [_predicted_classes(record) for record in records]
    found = [entry for entry in read if entry is not None]
    if len(found) < 2 or len(found) < len(read) or len({sha for sha, _ in found}) != 1:
        return None
    return disagreement([classes for _, classes in found])


def _predicted_classes(record: RunRecord) -> tuple[str, np.ndarray] | None:
    """``(fingerprint sha256, adapted model's predicted classes)`` of a done run, or None."""
    path = record.folder / PREDICTIONS_FILE
    try:
        return _classes(path, path.stat().st_mtime_ns)
    except (FileNotFoundError, TLError, ValueError):
        return None


@functools.lru_cache(maxsize=256)
def _classes(path: Path, mtime_ns: int) -> tuple[str, np.ndarray]:
    """Read once per predictions file version (a done run's files never change)."""
    result = read_result(path.parent)
    predictions, fingerprint = stored_predictions(path.parent, result)
    return fingerprint.sha256, predictions.after.argmax(axis=1)


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation over ``n`` seeds."""

    mean: float
    std: float | None
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        std = statistics.stdev(values) if len(values) > 1 else None
        return cls(statistics.fmean(values), std, len(values))

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "n": self.n}
