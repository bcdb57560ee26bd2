"""A run's seconds outside its training steps, for the estimate (:mod:`tlcore.runs.estimate`).

A *launched* run (its own worker process, :func:`tlcore.runs.jobs.launch`: the app's runs, ``adapt
--detach``, a sweep's trials; its folder keeps the worker's log) pays a Python start, the imports of
torch and the pipeline, umap-learn's and its compiled kernels' loading, and the first training step's
warm-up, outside its timed stages: for a small network on a CPU more than its stages (a sweep's first
estimate that left it out read a fraction of the sweep's time). An *inline* run (``adapt`` without
``--detach``) creates its record once its process has loaded all that and the run's data (the CLI
hands the pair it loaded for the estimate to the run), so its record's span is its stages (and a wait
for a run slot, the result's writing).

The estimate counts, per run of the kind it will be, the median (and the slowest) of the done
runs of that kind's :func:`run_overhead` (any network: a process's start, not its steps); with none,
a launched run counts :func:`start_seconds`, the wall time of a worker-like process that does that
loading (measured once per workspace and code version, kept in ``cache/estimates``), an inline one
nothing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tlcore.cache_files import ESTIMATES, SUFFIX, code_version, prune, read_entry, write_entry
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import UnreadableResultError
from tlcore.runs.run_files import LOG_FILE
from tlcore.runs.run_timings import timing_result
from tlcore.workspace import Workspace

START_KEY = "worker-start"  # cache/estimates/worker-start.pkl


def launched(record: RunRecord) -> bool:
    """Whether the run ran in a worker process of its own (:func:`tlcore.runs.jobs.spawn` logs there)."""
    return (record.folder / LOG_FILE).exists()


def run_overhead(record: RunRecord, result: Mapping[str, Any]) -> float:
    """A done run's seconds outside its timed stages: ``(updated - created) - sum(seconds_per_stage)``,
    its record's creation to its end (a worker's start and imports, the data's loading, the result's
    writing, a wait for a run slot); not a CLI's own start before it creates the record."""
    stages = sum(((result.get("info") or {}).get("seconds_per_stage") or {}).values())
    return max(0.0, record.updated - record.created - stages)


def overheads(records: Iterable[RunRecord], of_launched: bool) -> list[float]:
    """:func:`run_overhead` of each done run among ``records`` launched (or run inline, with
    ``of_launched`` False) whose result reads."""
    found = []
    for record in records:
        if launched(record) != of_launched:
            continue
        try:
            found.append(run_overhead(record, timing_result(record)))
        except (UnreadableResultError, OSError):
            continue
    return found


def start_seconds(workspace: Workspace) -> float:
    """A launched run's start with no done launched run to read it from: :func:`measure_start`,
    read back from the workspace's ``cache/estimates`` once measured there."""
    folder = workspace.inside(*ESTIMATES.parts)
    path = folder / f"{START_KEY}{SUFFIX}"
    body = read_entry(path, code_version())
    if body is None:
        body = json.dumps(measure_start(workspace.root)).encode()
        write_entry(path, code_version(), body)
        prune(folder, code_version())
    return float(json.loads(body))


def measure_start(cwd: Path) -> float:
    """Wall seconds of ``python -m tlcore.runs.estimate_start`` started as a worker is
    (:func:`tlcore.runs.jobs.start_detached`): its start, imports and warm-up (:func:`_warm_up`)."""
    from tlcore.runs.jobs import start_detached  # noqa: PLC0415 - jobs imports the store, as this does

    begin = time.perf_counter()
    start_detached(["tlcore.runs.estimate_start"], Path(os.devnull), cwd).wait()
    return time.perf_counter() - begin


def _warm_up() -> None:
    """What a worker loads before and around its first step: the pipeline (torch), umap-learn and its
    kernels (one tiny projection), and one step of the training loop on a small network."""
    import torch  # noqa: PLC0415 - the cost measured

    from tlcore.adapt.config import AdaptConfig  # noqa: PLC0415 - the cost measured
    from tlcore.adapt.stages import network  # noqa: PLC0415 - the cost measured (the pipeline)
    from tlcore.data.domain import Domain  # noqa: PLC0415
    from tlcore.features import umap_projection  # noqa: PLC0415 - the cost measured
    from tlcore.training.loop import TrainSettings, train  # noqa: PLC0415

    umap_projection(torch.rand(8, 4), torch.rand(8, 4), n_epochs=2)
    x = torch.rand(8, 4)
    source = Domain("warm-up", x, torch.arange(8) % 2, ("0", "1"))
    model = network(AdaptConfig("warm-up", "warm-up", model="mlp"), (4,), 2)
    settings = TrainSettings(epochs=1, batch_size=4, steps_per_epoch=1, device="cpu")
    train(model, source, None, settings=settings)


if __name__ == "__main__":
    _warm_up()
    sys.exit(0)
