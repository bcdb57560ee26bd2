"""Whether a done run's adapted model predicts one class for every sample of an unlabelled target: the
Predict page's rule (:func:`tlcore.prediction_summary.one_class_warning`) on the target probabilities
the run stored (``predictions.npz``). The Adapt page's run cards and ``runs show`` say it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tlcore.errors import TLError
from tlcore.prediction_summary import one_class_warning
from tlcore.runs.run_files import PREDICTIONS_FILE
from tlcore.selection.predictions import TargetPredictions


def run_one_class_warning(folder: Path, result: Mapping[str, Any]) -> str | None:
    """:func:`~tlcore.prediction_summary.one_class_warning` of the adapted model's predictions on the
    whole target, from the ``predictions.npz`` in a done run's ``folder`` and its ``result``'s classes;
    None when the target is labelled (its accuracy and confusion tell, and the rule would need every
    label) or the run stored no readable predictions (older runs)."""
    if result.get("target_accuracy") is not None:
        return None
    try:
        after = TargetPredictions.load(folder / PREDICTIONS_FILE).after
    except TLError:
        return None
    classes = list(result.get("classes") or [str(k) for k in range(after.shape[1])])
    if len(classes) != after.shape[1] or not len(after):
        return None
    counts = np.bincount(after.argmax(axis=1), minlength=len(classes))
    mean_confidence = float(after.max(axis=1).mean())
    return one_class_warning(classes, dict(zip(classes, counts.tolist(), strict=True)), mean_confidence, None)
