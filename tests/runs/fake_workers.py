"""Stand-ins for the pipeline with its calling contract and no torch: tiny, controllable workloads.

Launched runs name them as ``fake_workers:<function>`` (the tests put this folder on PYTHONPATH).
``config.epochs`` sets the number of steps. Those the CLI's inline ``adapt`` runs take the ``pair`` it
hands over too (and leave it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tlcore.adapt.config import AdaptConfig
from tlcore.errors import TLError
from tlcore.events import ProgressEvent
from tlcore.workspace import Workspace

OnEvent = Callable[[ProgressEvent], None]
ShouldStop = Callable[[], bool]


@dataclass
class FakeResult:
    data: dict[str, Any] = field(default_factory=dict)
    model: Any = None
    source_model: Any = None
    predictions: Any = None
    target: Any = None

    def to_dict(self) -> dict[str, Any]:
        return self.data


def make_config(steps: int = 5, **overrides: Any) -> AdaptConfig:
    """A config for these workers: ``epochs`` is their number of steps."""
    values = {"source": "mnist5k", "target": "digits", "methods": ("source_only",), "epochs": steps}
    return AdaptConfig.from_dict({**values, **overrides})


def _result(config: AdaptConfig, status: str = "done") -> FakeResult:
    return FakeResult(
        {
            "status": status,
            "target_accuracy": 0.9,
            "source_only_accuracy": 0.7,
            "gap_before": {"mmd2": 0.3},
            "gap_after": {"mmd2": 0.1},
            "seed": config.seed,
        }
    )


def _steps(config: AdaptConfig, on_event: OnEvent, should_stop: ShouldStop, pause: float) -> bool:
    """Emit one step event per epoch, sleeping ``pause`` each; False if told to stop."""
    on_event(ProgressEvent("stage", "train", 0.0, message="training"))
    for step in range(config.epochs):
        if should_stop():
            return False
        time.sleep(pause)
        fraction = (step + 1) / config.epochs
        on_event(ProgressEvent("step", "train", fraction, step=step, metrics={"loss": 1.0 / (step + 1)}))
    on_event(ProgressEvent("done", "done", 1.0))
    return True


def quick(
    config: AdaptConfig,
    workspace: Workspace | None,
    on_event: OnEvent,
    should_stop: ShouldStop,
    pair: Any = None,
) -> Any:
    _steps(config, on_event, should_stop, pause=0.0)
    return _result(config)


def settled(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """Like :func:`quick`, its adapt stage ending early as the pipeline reports it (status and reason)."""
    _steps(config, on_event, should_stop, pause=0.0)
    result = _result(config, "stopped_early")
    result.data["reason"] = "target predictions settled: ...; stopped at epoch 3"
    return result


def slow(config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop) -> Any:
    """About 50 ms per step; honours ``should_stop`` like the pipeline."""
    finished = _steps(config, on_event, should_stop, pause=0.05)
    return _result(config, "done" if finished else "cancelled")


def stubborn(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """Reports once, then sleeps for a minute ignoring ``should_stop`` (a stuck stage)."""
    on_event(ProgressEvent("step", "train", 0.1, message="stuck"))
    time.sleep(60)
    return _result(config)


def failing(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    raise TLError("unknown domain 'nope'")


def diverging(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """Ends like the pipeline when the loss turns NaN: a result saying ``failed`` and why."""
    return FakeResult({"status": "failed", "reason": "loss became nan at epoch 1, step 3"})


def crashing(
    config: AdaptConfig,
    workspace: Workspace | None,
    on_event: OnEvent,
    should_stop: ShouldStop,
    pair: Any = None,
) -> Any:
    on_event(ProgressEvent("step", "train", 0.5))
    raise RuntimeError("boom")


def gapped(
    config: AdaptConfig,
    workspace: Workspace | None,
    on_event: OnEvent,
    should_stop: ShouldStop,
    pair: Any = None,
) -> Any:
    """Like :func:`quick`, with the gaps a real run stores (every number of a
    :class:`~tlcore.metrics.gap.Gap`: a ~170-character line each, before they were labelled)."""
    _steps(config, on_event, should_stop, pause=0.0)
    result = _result(config)
    for key, scale in (("gap_before", 1.0), ("gap_after", 0.5)):
        result.data[key] = {
            "mmd2": 0.123456789 * scale,
            "p_value": 0.000999000999,
            "n_permutations": 1000,
            "bandwidth": 3.0512345,
            "mmd_test_samples": [1000, 359],
            "coral": 1.23456789 * scale,
            "mean_distance": 2.3456789 * scale,
            "a_distance": 1.87654321 * scale,
            "domain_error": 0.0308 / scale,
            "n_source": 1000,
            "n_target": 359,
        }
    return result


def one_class(
    config: AdaptConfig,
    workspace: Workspace | None,
    on_event: OnEvent,
    should_stop: ShouldStop,
    pair: Any = None,
) -> Any:
    """Like :func:`quick`, on an unlabelled target (no accuracy) whose 30 samples its adapted model
    predicts all as class ``b`` (its source-only model splits them)."""
    import numpy as np  # noqa: PLC0415 - only this worker stores predictions

    from tlcore.selection.predictions import TargetPredictions  # noqa: PLC0415

    _steps(config, on_event, should_stop, pause=0.0)
    result = _result(config)
    result.data |= {"target_accuracy": None, "source_only_accuracy": None, "classes": ["a", "b"]}
    result.data["source_accuracy"] = 0.85  # the one accuracy it measures: on the source validation split
    after = np.tile(np.array([[0.2, 0.8]], dtype=np.float32), (30, 1))
    before = np.tile(np.array([[0.7, 0.3], [0.3, 0.7]], dtype=np.float32), (15, 1))
    result.predictions = TargetPredictions(before, after)
    return result
