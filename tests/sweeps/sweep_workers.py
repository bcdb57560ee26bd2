"""Stand-ins for the pipeline in the sweep tests, with its calling contract and no torch.

``scored`` returns numbers that follow from the config (so aggregation and choice can be checked):
target accuracy ``0.6 + 0.1 w + 0.01 seed`` and source accuracy ``0.9 - 0.1 w + 0.01 seed`` where
``w`` is ``dann.weight`` (0 without dann), plus validator scores and target predictions the selection
rule judges (:func:`judged`): without dann the predictions are right, with w = 0.1 right on 25 of 30
samples (less sure), with w = 0.3 collapsed onto one class. ``config.epochs`` is the number of 50 ms steps.
Named as ``sweep_workers:<function>`` (the tests put this folder on PYTHONPATH).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from fake_workers import FakeResult
from judged_runs import stored

from tlcore.adapt.config import AdaptConfig
from tlcore.events import ProgressEvent
from tlcore.selection.predictions import TargetPredictions
from tlcore.workspace import Workspace

OnEvent = Callable[[ProgressEvent], None]
ShouldStop = Callable[[], bool]
STEP_S = 0.05
JUDGED = stored()  # read, not computed: the selection code's scores import torch


def weight(config: AdaptConfig) -> float:
    return float(config.params.get("dann", {}).get("weight", 0.0))


def judged(config: AdaptConfig) -> dict[str, Any]:
    """The run as the selection rule sees it (see the module docstring): its target probabilities
    before and after, and its validator scores."""
    w = weight(config)
    return JUDGED["right" if w < 0.1 else "less_sure" if w < 0.3 else "collapsed"]


def numbers(config: AdaptConfig) -> dict[str, Any]:
    w, seed = weight(config), config.seed
    validators = judged(config)["validators"]
    return {
        "status": "done",
        "target_accuracy": 0.6 + 0.1 * w + 0.01 * seed,
        "source_accuracy": 0.9 - 0.1 * w + 0.01 * seed,
        "seconds": 1.0 + seed,
        "gap_after": {"mmd2": 0.1 * w, "p_value": 0.5, "n_source": 10},
        "validators": validators | {"note": "text is skipped"},
    }


def result(config: AdaptConfig, data: dict[str, Any]) -> FakeResult:
    """``data`` with the run's target predictions, as the pipeline returns them."""
    run = judged(config)
    probabilities = (np.array(run[k], dtype=np.float32) for k in ("before", "after"))
    return FakeResult(data, predictions=TargetPredictions(*probabilities))


def _steps(config: AdaptConfig, on_event: OnEvent, should_stop: ShouldStop) -> bool:
    for step in range(config.epochs):
        if should_stop():
            return False
        time.sleep(STEP_S)
        on_event(ProgressEvent("step", "train", (step + 1) / config.epochs, step=step))
    return True


def scored(config: AdaptConfig, ws: Workspace | None, on_event: OnEvent, should_stop: ShouldStop) -> Any:
    """``numbers(config)`` after ``config.epochs`` steps, with when the work ran (``started``, ``ended``)."""
    started = time.time()
    if not _steps(config, on_event, should_stop):
        return FakeResult({"status": "cancelled"})
    return result(config, {**numbers(config), "started": started, "ended": time.time()})


def reads_upload(
    config: AdaptConfig, ws: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """``scored``, plus ``target_sha256``: the SHA-256 of the target ``upload:NAME`` as the workspace
    this worker was given holds it (a missing file fails the trial, as loading it would)."""
    assert ws is not None and config.target.startswith("upload:")
    data = ws.inside("uploads", config.target.split(":")[1]).read_bytes()
    outcome = scored(config, ws, on_event, should_stop)
    outcome.data["target_sha256"] = hashlib.sha256(data).hexdigest()
    return outcome


def subsampled(config: AdaptConfig, ws: Workspace | None, on_event: OnEvent, should_stop: ShouldStop) -> Any:
    """``scored`` on a target each seed draws anew (``digits:n=200``): the fingerprint of the target
    samples its predictions cover follows the seed."""
    outcome = scored(config, ws, on_event, should_stop)
    validators = outcome.data["validators"]
    drawn = hashlib.sha256(bytes([config.seed])).hexdigest()
    validators["target"] = {**validators["target"], "sha256": drawn}
    return outcome


def collapsed(config: AdaptConfig, ws: Workspace | None, on_event: OnEvent, should_stop: ShouldStop) -> Any:
    """``scored`` as if every configuration collapsed (``dann.weight`` 0.3 everywhere)."""
    heavy = replace(config, params={"dann": {"weight": 0.3}})
    return result(heavy, {**numbers(heavy), "started": time.time(), "ended": time.time()})


def failing(config: AdaptConfig, ws: Workspace | None, on_event: OnEvent, should_stop: ShouldStop) -> Any:
    """A trial whose run fails."""
    raise RuntimeError("the stand-in fails")


def picky(config: AdaptConfig, ws: Workspace | None, on_event: OnEvent, should_stop: ShouldStop) -> Any:
    """Crashes for ``dann.weight`` = 1 (the way a NaN or an out-of-memory trial ends), else ``scored``."""
    if weight(config) == 1.0:
        raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB")
    return scored(config, ws, on_event, should_stop)


def pid_file(config: AdaptConfig) -> Path:
    """Where ``victim`` notes its process ids: named after the config's source (a test's own token)
    and seed."""
    return Path(tempfile.gettempdir()) / f"sweep-victim-{config.source}-{config.seed}.pids"


def victim(config: AdaptConfig, ws: Workspace | None, on_event: OnEvent, should_stop: ShouldStop) -> Any:
    """Notes its pid, then works like ``scored``: a test kills it to play a dying Ray worker."""
    with pid_file(config).open("a") as handle:
        handle.write(f"{os.getpid()}\n")
    return scored(config, ws, on_event, should_stop)


def unlabelled(config: AdaptConfig, ws: Workspace | None, on_event: OnEvent, should_stop: ShouldStop) -> Any:
    """``scored`` on a target without labels: no target accuracy."""
    data = numbers(config)
    del data["target_accuracy"]
    return result(config, data)
