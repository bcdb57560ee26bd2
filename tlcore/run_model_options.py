"""The options of the commands that use a done run's model, without torch, so ``predict --help`` and
``export --help`` name their defaults and choices before torch loads: the samples of one forward pass
(:func:`tlcore.predict.predict_rows`) and the formats :func:`tlcore.export.export_run` writes."""

from __future__ import annotations

from typing import Literal, get_args

DEFAULT_BATCH_SIZE = 512  # samples per forward pass of predict
ExportFormat = Literal["onnx", "torchscript"]
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
