"""Where a run's target predictions moved, read from the run store (reads only).

A done run's source-only model against its adapted model, or its adapted model against another
run's (:mod:`tlcore.selection.changes`). Both come from ``predictions.npz``, which covers the whole
harmonised target domain in its order; ``result.json`` holds the fingerprint of those samples, so
:func:`predicted_samples` can load the domain again and check that it got the same samples (their
ids and images: the CLI's sample ids, the app's thumbnails).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.source_only_run import is_source_only
from tlcore.errors import TLError
from tlcore.runs.candidates import OLD_RUN
from tlcore.runs.run_files import PREDICTIONS_FILE
from tlcore.runs.store import RunStore
from tlcore.selection.changes import PredictionChanges, prediction_changes
from tlcore.selection.predictions import TargetFingerprint, TargetPredictions

if TYPE_CHECKING:
    from tlcore.data.domain import Domain


@dataclass(frozen=True)
class RunChanges:
    """The changes, the runs they compare (``against`` None: the run's own source-only model) and
    the fingerprint of the target samples they cover."""

    run_id: str
    against: str | None
    changes: PredictionChanges
    target: TargetFingerprint

    def covers(self, X: np.ndarray) -> bool:
        """Whether ``X`` (the harmonised target domain loaded again) holds the samples predicted."""
        return TargetFingerprint.of(X) == self.target

    def to_dict(self, samples_per_flow: int = 20, ids: Sequence[str] | None = None) -> dict[str, Any]:
        """The counts and every flow with up to ``samples_per_flow`` sample indices (the target
        domain's order, most confident first) and, given the domain's ``ids``, their ids."""
        changes = self.changes
        flows = []
        for flow in changes.flows():
            index = changes.samples(flow)[:samples_per_flow].tolist()
            entry = {
                "from": changes.classes[flow.before],
                "to": changes.classes[flow.after],
                "count": flow.count,
                "share": flow.share,
                "samples": index,
            }
            flows.append(entry if ids is None else entry | {"ids": [ids[i] for i in index]})
        return {
            "run_id": self.run_id,
            "against": self.against,
            "n_samples": changes.n_samples,
            "changed": changes.changed,
            "share_changed": changes.share_changed,
            "classes": list(changes.classes),
            "counts": changes.counts.tolist(),
            "flows": flows,
            "target": self.target.to_dict(),
        }


def stored_predictions(folder: Path, result: dict[str, Any]) -> tuple[TargetPredictions, TargetFingerprint]:
    """The ``predictions.npz`` in a done run's ``folder`` and, from its ``result``, the fingerprint
    of the samples they cover; a :class:`TLError` when the run stored none."""
    try:
        fingerprint = TargetFingerprint.from_dict(result["validators"]["target"])
    except (KeyError, TypeError) as exc:
        raise TLError(f"run {folder.name} {OLD_RUN}") from exc
    if not (folder / PREDICTIONS_FILE).is_file():
        raise TLError(f"run {folder.name} {OLD_RUN}")
    return TargetPredictions.load(folder / PREDICTIONS_FILE), fingerprint


def _stored(store: RunStore, run_id: str) -> tuple[dict[str, Any], TargetPredictions, TargetFingerprint]:
    """A done run's result, predictions and the fingerprint of the samples they cover."""
    record = store.get(run_id)
    result = store.result_of(record)  # not done: a TLError that says so
    return result, *stored_predictions(record.folder, result)


def run_changes(store: RunStore, run_id: str, against: str | None = None) -> RunChanges:
    """``run_id``'s source-only model -> its adapted model, or with ``against`` its adapted model ->
    that run's; a :class:`TLError` when a run is not done, stored no predictions, the two runs
    predicted other target samples, or a source-only run is set against itself (no ``against``)."""
    result, predictions, fingerprint = _stored(store, run_id)
    classes = result.get("classes") or [str(k) for k in range(predictions.after.shape[1])]
    if against is None and is_source_only(result):
        raise TLError(
            f"run {run_id} is a source-only run: its model is its own source-only model, so none of its "
            "predictions moved; set it against another run of its target (--against ID)"
        )
    if against is None:
        changes = prediction_changes(predictions.before, predictions.after, classes)
        return RunChanges(run_id, None, changes, fingerprint)
    other_result, other, other_fingerprint = _stored(store, against)
    if other_fingerprint != fingerprint:
        raise TLError(
            f"runs {run_id} and {against} predicted other target samples (another target, load seed or "
            "changed data): compare runs of one target"
        )
    if (other_result.get("classes") or classes) != classes:
        raise TLError(f"runs {run_id} and {against} name their classes differently")
    changes = prediction_changes(predictions.after, other.after, classes)
    return RunChanges(run_id, against, changes, fingerprint)


def predicted_samples(store: RunStore, run: RunChanges) -> Domain | None:
    """The harmonised target domain ``run`` covers, loaded again as its first run loaded it (specs and
    seed); None when the data no longer gives those samples (an upload replaced or deleted)."""
    from tlcore.adapt.pair import load_run_pair  # noqa: PLC0415 - loads torch: the rest reads the store

    try:
        config = AdaptConfig.from_dict(store.get(run.run_id).config)
        target = load_run_pair(config, store.workspace).target
    except TLError:
        return None
    return target if run.covers(target.X.numpy()) else None


def moved_runs(
    run_ids: Iterable[str],
    changes: Callable[[str], RunChanges],
    samples: Callable[[RunChanges], Domain | None],
) -> list[tuple[RunChanges, Domain | None]]:
    """Each run's changes from its source-only model and the target samples they cover, for the
    comparison report (:func:`tlcore.views.compare.comparison_report`); a run whose changes cannot be
    read (not done, no stored predictions: a :class:`TLError`) is left out. ``changes`` and
    ``samples`` read them: :func:`run_changes` and :func:`predicted_samples` on a store (the CLI), or
    the app's cached readers of the same, which the Compare page's other views share."""
    found = []
    for run_id in run_ids:
        with contextlib.suppress(TLError):
            run = changes(run_id)
            found.append((run, samples(run)))
    return found
