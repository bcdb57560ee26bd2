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
nothing. That process runs in the background (5-20 s on a 2-core CPU, most of it torch's and
umap-learn's imports and the first step: no page or command waits for it); until it lands the
estimate leaves the start out and says so (:attr:`tlcore.runs.estimate.Estimate.start_pending`). The
app starts it when it starts, so it has usually landed by its first estimate.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
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
MEASURING_STALE_SECONDS = 600  # a measurement still under way after this long was killed: another starts


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


def per_run(
    done: Iterable[RunRecord], launched: bool, workspace: Workspace
) -> tuple[tuple[float, float], bool]:
    """A run's seconds outside its stages, (expected, slowest): the median and the slowest of the
    :func:`overheads` of the ``done`` runs started as it will be (``launched`` or inline; any network's:
    a process's start, not its steps); for a launched run with no launched run done, :func:`start_seconds`
    for both; and whether that start is left out, not measured yet. Asked after the estimate's probe:
    a measurement it starts in the background would share the probe's cores."""
    found = overheads(done, launched)
    starts = (statistics.median(found), max(found)) if found else (0.0, 0.0)
    if not launched or starts[1]:
        return starts, False
    measured = start_seconds(workspace)
    return (measured or 0.0, measured or 0.0), measured is None


def start_seconds(workspace: Workspace) -> float | None:
    """A launched run's start with no done launched run to read it from, as measured in the workspace's
    ``cache/estimates`` for this code; None until it lands, the measurement started in the background
    (:func:`measure_in_background`: an estimate never waits for it)."""
    measured = measured_start(workspace)
    if measured is None:
        measure_in_background(workspace)
        measured = measured_start(workspace)  # another process's measurement landed between the reads
    return measured


def measured_start(workspace: Workspace) -> float | None:
    """This code's launched-run start as measured in the workspace (:func:`record_start`), None before
    (no measurement started: :func:`start_seconds` starts one)."""
    body = read_entry(_folder(workspace) / f"{START_KEY}{SUFFIX}", code_version())
    return None if body is None else float(json.loads(body))


def measure_in_background(workspace: Workspace) -> bool:
    """Start ``python -m tlcore.runs.estimate_start ROOT SINCE`` as a worker is started
    (:func:`tlcore.runs.jobs.start_detached`, ``SINCE`` the time just before) unless one measures this
    code's start in the workspace already (its lock file, made with ``O_EXCL``, taken over once
    :data:`MEASURING_STALE_SECONDS` old: its process was killed); whether it started one. It records its
    own wall time since ``SINCE`` (:func:`record_start`) and removes the lock."""
    from tlcore.runs.jobs import start_detached  # noqa: PLC0415 - jobs imports the store, as this does

    lock = _lock(workspace)
    if not _take(lock):
        return False
    try:
        args = ["tlcore.runs.estimate_start", str(workspace.root), repr(time.time())]
        start_detached(args, Path(os.devnull), workspace.root)
    except OSError:  # no process to start: the estimate goes on without it, a later one tries again
        lock.unlink(missing_ok=True)
        return False
    return True


def record_start(workspace: Workspace, seconds: float) -> None:
    """Keep ``seconds`` as this code's launched-run start in the workspace (:func:`start_seconds` reads
    it) and end its measurement (its lock)."""
    folder = _folder(workspace)
    write_entry(folder / f"{START_KEY}{SUFFIX}", code_version(), json.dumps(seconds).encode())
    prune(folder, code_version())
    _lock(workspace).unlink(missing_ok=True)


def _folder(workspace: Workspace) -> Path:
    return workspace.inside(*ESTIMATES.parts)


def _lock(workspace: Workspace) -> Path:
    """``cache/estimates/.worker-start-<code version>.measuring``: a measurement of this code under way."""
    return _folder(workspace) / f".{START_KEY}-{code_version()[:16]}.measuring"


def _take(lock: Path) -> bool:
    """Create ``lock`` unless another process holds it (one as old as :data:`MEASURING_STALE_SECONDS`
    is removed first: its measurement was killed); whether this one did."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # gone meanwhile: its measurement landed, or another took it over
        if lock.stat().st_mtime < time.time() - MEASURING_STALE_SECONDS:
            lock.unlink()
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


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


if __name__ == "__main__":  # python -m tlcore.runs.estimate_start ROOT SINCE (measure_in_background)
    _warm_up()
    root, since = sys.argv[1:]
    record_start(Workspace(Path(root)), time.time() - float(since))
