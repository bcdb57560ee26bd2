"""Adaptation runs: the config contract, the pipeline and its result.

``run_adaptation(AdaptConfig(source="mnist5k", target="digits", methods=("deep_coral", "im")))``
trains the source-only baseline and the adapted model and returns an :class:`AdaptResult`.

The pipeline's names pull in torch, the data layer and the methods, so they load on first use:
importing the config contract (the run store, the CLI parser, a job's worker start) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tlcore.adapt.config import AdaptConfig, ProgressEvent

if TYPE_CHECKING:
    from tlcore.adapt.cache import BaselineCache
    from tlcore.adapt.pipeline import run_adaptation
    from tlcore.adapt.result import AdaptResult

_LAZY = {
    "AdaptResult": "tlcore.adapt.result",
    "BaselineCache": "tlcore.adapt.cache",
    "run_adaptation": "tlcore.adapt.pipeline",
}

__all__ = ["AdaptConfig", "AdaptResult", "BaselineCache", "ProgressEvent", "run_adaptation"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
