"""Clearing the trained source-only baselines (``cache/baselines``,
:data:`tlcore.cache_files.BASELINES`), which no prune or plain clear touches: ``python -m tlcore cache
--clear --baselines``. The next run of each configuration trains its baseline again;
``diagnose --features baseline:ID`` and the label-shift estimates of earlier runs find none. Without
torch.

Refused, in one line naming them, while a run or a sweep of the workspace is live: a live run reads
its baseline from there and stores the one it trains, and a live sweep's driver, even between two
trials, starts more trials that do the same (cleared halfway, its later trials would train again the
baselines its earlier ones trained). Live is :meth:`RunStore.live` / :meth:`SweepStore.live`: queued
or running with a worker or driver alive; a run whose worker is gone (or silent for
:data:`~tlcore.runs.record.STALE_AFTER` seconds) and a sweep whose driver is gone (or, queued, has none
:data:`~tlcore.runs.sweep_store.DRIVER_GRACE` seconds on: :func:`~tlcore.runs.sweep_store.stale_reason`)
are closed first, as a delete does, and never block.
A trial run of a live sweep is named through its sweep: cancelling the sweep stops it and the trials
to come. A workspace without a run index has no run to wait for: the
index is not opened (opening it would create it).
"""

from __future__ import annotations

from tlcore.cache_files import BASELINES, clear_kept
from tlcore.commands import command_line
from tlcore.errors import TLError
from tlcore.numbers import and_list, first_named, plural
from tlcore.runs.record import RunRecord
from tlcore.runs.sweep_store import SweepRecord, SweepStore
from tlcore.workspace import Workspace

NAMED = 3  # live runs and sweeps a refusal names; the rest counted
READS = "reads its source-only baseline from cache/baselines and stores the one it trains"


def clear_baselines(workspace: Workspace, *, command_workspace: str | None = None) -> tuple[int, int]:
    """Remove every trained baseline of ``workspace``: how many and their bytes; a :class:`TLError`
    naming the live runs and sweeps (:func:`refusal`, its commands with ``--workspace
    command_workspace`` when given), nothing removed, while any is."""
    runs, sweeps = _live(workspace)
    if runs or sweeps:
        raise TLError(refusal(runs, sweeps, workspace=command_workspace))
    return clear_kept(workspace.inside(*BASELINES.parts), BASELINES.suffix)


def refusal(runs: list[RunRecord], sweeps: list[SweepRecord], *, workspace: str | None = None) -> str:
    """Why the baselines are not cleared while ``runs`` and ``sweeps`` are live and how to go on, in one
    line: a single one named with what it does (a sweep with its progress and driver process), several
    named (the first :data:`NAMED`) and counted; the ``cancel`` commands with ``--workspace workspace``
    when given (:func:`~tlcore.commands.command_line`)."""
    if len(runs) + len(sweeps) == 1:
        return _one_refusal(runs[0] if runs else sweeps[0], workspace)
    counts = and_list([plural(len(of), kind) for of, kind in ((runs, "run"), (sweeps, "sweep")) if of])
    named = first_named([f"run {run.id}" for run in runs] + [f"sweep {sweep.id}" for sweep in sweeps], NAMED)
    if not sweeps:
        why = f"a live run {READS}"
    elif not runs:
        why = f"a live sweep starts more trials, each of which {READS}"
    else:
        why = f"a live run {READS}, and a live sweep starts more such runs"
    typed = [
        f"`{command_line(kind, 'cancel', 'ID', workspace=workspace)}`"
        for of, kind in ((runs, "runs"), (sweeps, "sweeps"))
        if of
    ]
    return (
        f"cannot clear the baselines while {counts} are live ({named}): {why}; clear them once they end, "
        f"or stop them first: {', '.join(typed)}"
    )


def _one_refusal(live: RunRecord | SweepRecord, workspace: str | None) -> str:
    """:func:`refusal` for one live run or sweep."""
    if isinstance(live, RunRecord):
        subject, why, command = f"run {live.id}", f"it {READS}", "runs"
    else:
        driver = "its driver" + ("" if live.pid is None else f" (process {live.pid})")
        subject = f"sweep {live.id} ({live.message or live.status})"
        why, command = f"{driver} starts more trials, each of which {READS}", "sweeps"
    return (
        f"cannot clear the baselines while {subject} is live: {why}; clear them once it ends, or stop it "
        f"first: `{command_line(command, 'cancel', live.id, workspace=workspace)}`"
    )


def _live(workspace: Workspace) -> tuple[list[RunRecord], list[SweepRecord]]:
    """The live runs (but the trials of a live sweep) and sweeps of ``workspace``; none, and no index
    made, where it has no run index yet."""
    if not workspace.index_path.is_file():
        return [], []
    store = SweepStore(workspace)
    sweeps = store.live()
    driven = {sweep.id for sweep in sweeps}
    return [run for run in store.runs.live() if run.sweep_id not in driven], sweeps
