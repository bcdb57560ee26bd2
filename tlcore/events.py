"""Progress events and the callbacks that carry them: the leaf contract between the training loop,
the adaptation pipeline, the run store and the CLI's progress bars.

It imports nothing from tlcore, so any layer can depend on it without creating an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EventKind = Literal["stage", "step", "epoch", "done"]
# the metric of a run's baseline stage event: the torch threads it trains (or reuses) its baseline on, so
# a run that ends before its result finds its baseline in the cache (tlcore.runs.thread_count)
TORCH_THREADS = "torch_threads"


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report from a running adaptation.

    ``fraction`` is the share of the whole run done (0..1); ``metrics`` holds losses and, at epoch
    ends, accuracies (``target_accuracy`` when target labels exist); the baseline's stage event holds
    its :data:`TORCH_THREADS`.
    """

    kind: EventKind
    stage: str
    fraction: float
    epoch: int = 0
    step: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def progress_words(stage: str, message: str) -> str:
    """A run's progress in words, as its card and the CLI's bar say it: ``adapt: epoch 3 of 10``; a
    message that repeats its stage once (QA helper-250: the bar ended on ``done: done``)."""
    return ": ".join(dict.fromkeys(part for part in (stage, message) if part))


@dataclass
class Callbacks:
    """Where a long computation reports to and whether it should stop early (checked every step)."""

    on_event: Callable[[ProgressEvent], None] | None = None
    should_stop: Callable[[], bool] | None = None
    fraction: float = 0.0  # of the last event emitted

    def emit(self, event: ProgressEvent) -> None:
        self.fraction = event.fraction
        if self.on_event is not None:
            self.on_event(event)

    def stopped(self) -> bool:
        return self.should_stop is not None and self.should_stop()
