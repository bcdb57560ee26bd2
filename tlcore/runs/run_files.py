"""The files of a run's artifact folder, ``<workspace>/runs/<id>/``, by name, and what each holds:

- ``config.json``   the :class:`~tlcore.adapt.config.AdaptConfig` as a dict (the index's ``run_params``
  also keeps every method's parameters as the run builds them); ``history.jsonl`` its events
- ``result.json``   the pipeline's result (accuracies, gap scores, UMAP, history, confusion)
- ``model.pt``      the checkpoint (weights beside the config)
- ``predictions.npz`` the target probabilities of the source-only and adapted models (``TargetPredictions``)
- ``worker.log``    the worker's output and, on a crash, the traceback
- ``blank.json``    whether its target images are blank (:mod:`tlcore.runs.blank_target`)

Only a ``done`` run carries :data:`ARTIFACTS` (:class:`~tlcore.runs.store.RunStore` writes and clears
them); ``result.json`` is read by :func:`tlcore.runs.result_file.read_result` alone.
"""

from __future__ import annotations

from tlcore.runs.result_file import RESULT_FILE

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.jsonl"
CHECKPOINT_FILE = "model.pt"
PREDICTIONS_FILE = "predictions.npz"
LOG_FILE = "worker.log"
BLANK_FILE = "blank.json"
ARTIFACTS = (RESULT_FILE, CHECKPOINT_FILE, PREDICTIONS_FILE)  # what only a done run carries
