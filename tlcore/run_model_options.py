"""The options of the commands that use a done run's model, without torch, so ``predict --help`` and
``export --help`` name their defaults and choices before torch loads: the samples of one forward pass
(:func:`tlcore.predict.predict_rows`), the probabilities a predictions file holds
(:meth:`tlcore.predict.PredictionBatch.to_frame`) and the formats :func:`tlcore.export.export_run` writes."""

from __future__ import annotations

from typing import Literal, get_args

DEFAULT_BATCH_SIZE = 512  # samples per forward pass of predict
Probabilities = Literal["top3", "all"]  # the 3 most probable classes' p, or also one column per class
PROBABILITIES: tuple[Probabilities, ...] = get_args(Probabilities)
DEFAULT_PROBABILITIES: Probabilities = "top3"
ExportFormat = Literal["onnx", "torchscript"]
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
