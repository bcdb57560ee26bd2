"""Stand-ins for the slot and fault tests: a timed workload, a thread report, out-of-memory errors.

Named as ``fault_workers:<function>`` by launched runs (the tests put this folder on PYTHONPATH);
they follow the pipeline's calling contract, like :mod:`fake_workers`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from fake_workers import FakeResult

from tlcore.adapt.config import AdaptConfig
from tlcore.events import ProgressEvent
from tlcore.workspace import Workspace

OnEvent = Callable[[ProgressEvent], None]
ShouldStop = Callable[[], bool]
STEP_S = 0.05


def timed(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """``config.epochs`` steps of 50 ms; the result says when the work started and ended."""
    started = time.time()
    for step in range(config.epochs):
        if should_stop():
            return FakeResult({"status": "cancelled"})
        time.sleep(STEP_S)
        on_event(ProgressEvent("step", "train", (step + 1) / config.epochs, step=step))
    return FakeResult({"status": "done", "started": started, "ended": time.time()})


def thread_report(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """Loads torch and numba (as the pipeline does) and reports their thread settings."""
    import numba  # noqa: PLC0415 - loaded here, after the worker set the thread limits
    import torch  # noqa: PLC0415

    return FakeResult(
        {
            "status": "done",
            "torch_threads": torch.get_num_threads(),
            "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        }
    )


def cuda_oom(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """What a GPU without room for the batch raises (its real message, abridged)."""
    import torch  # noqa: PLC0415

    on_event(ProgressEvent("step", "train", 0.1))
    raise torch.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 15.77 GiB of "
        "which 3.19 GiB is free.\nOf the allocated memory 11.9 GiB is allocated by PyTorch"
    )


def numpy_oom(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """A real MemoryError: NumPy refuses an array of 8 PiB before touching any memory."""
    return np.empty(1 << 50)


def torch_cpu_oom(
    config: AdaptConfig, workspace: Workspace | None, on_event: OnEvent, should_stop: ShouldStop
) -> Any:
    """A real one from torch's CPU allocator, a RuntimeError saying it can't allocate memory."""
    import torch  # noqa: PLC0415

    return torch.empty(1 << 50)
