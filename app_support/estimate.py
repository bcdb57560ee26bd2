"""The Adapt and Sweep pages' time estimate before a launch (:mod:`tlcore.runs.estimate`), kept a minute
per config (:data:`FRESH_FOR`): a page run reads no index for it, and runs finished since count a minute
later at most (a probe is cached in the workspace too); one made before a worker's start was measured
(:mod:`tlcore.runs.estimate_start`, in the background from the app's start) until it lands."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_support import display, engine
from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.pair import split_pair
from tlcore.errors import TLError
from tlcore.limits import Limits
from tlcore.runs.estimate import Estimate, estimate
from tlcore.runs.estimate_batch import Batch, baselines_trained, executor_share, sweep_batch
from tlcore.runs.estimate_start import measured_start, start_seconds
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.slots import worker_thread_share
from tlcore.runs.sweep import SweepSpec
from tlcore.workspace import Workspace

FRESH_FOR = 60  # seconds a page keeps an estimate before reading the workspace's runs again


def runs_line(configs: Sequence[AdaptConfig]) -> str | None:
    """``Estimated: about ...`` for launching ``configs``, the workspace's run slots at a time; None
    without configs; ``Not estimated: <why>`` when a config cannot run (the launch refuses it with the
    same words) or the data does not load."""
    concurrency = Limits.from_env().max_running
    try:
        trained = baselines_trained(list(configs), concurrency)
        parts = tuple((_of(cfg, shared), 1) for cfg, shared in zip(configs, trained, strict=True))
    except TLError as error:
        return refused(error)
    return f"Estimated: {Batch(parts, concurrency).text()}." if parts else None


def sweep_line(spec: SweepSpec, settings: ExecutorSettings) -> str:
    """``Estimated: ...`` for a sweep's trials (:func:`~tlcore.runs.estimate_batch.sweep_batch`), at the
    executor's share of the CPUs (:func:`~tlcore.runs.estimate_batch.executor_share`), a baseline cached
    in the workspace reused by local trials only (a Ray trial trains its own); ``Not estimated: <why>``
    when a trial cannot run or the data does not load."""
    share = executor_share(settings)  # a Ray trial's threads: its cpus_per_trial
    of = functools.partial(_of, workspace_cache=settings.workspace_cache, threads=share.threads)
    try:
        return f"Estimated: {sweep_batch(spec, settings, of).text()}."
    except TLError as error:
        return refused(error)


def refused(error: TLError) -> str:
    """The line shown where the estimate goes when there is none: ``Not estimated: `` and the
    refusal's first line."""
    lines = str(error).strip().splitlines()
    return f"Not estimated: {lines[0] if lines else 'the run cannot start'}"


def _of(
    cfg: AdaptConfig, baseline_trained: bool, workspace_cache: bool = True, threads: int | None = None
) -> Estimate:
    """:func:`_estimate` of ``cfg`` at ``threads`` torch threads (None: a launched run's), kept until a
    worker's start measured meanwhile lands (it leaves it out before), else :data:`FRESH_FOR` seconds."""
    workspace = engine.workspace()
    measured = measured_start(workspace) is not None  # read only: estimate() starts it, after its probe
    config = json.dumps(cfg.to_dict(), sort_keys=True)
    root, cache = str(workspace.root), workspace_cache
    return _estimate(root, config, baseline_trained, cache, threads=threads, start_measured=measured)


@functools.cache
def measure_start_early(workspace: Workspace) -> None:
    """Start measuring a launched run's start in ``workspace`` in the background unless it is measured
    (:func:`~tlcore.runs.estimate_start.start_seconds`), once per server and workspace: called after
    the app's first page run, it has usually landed when the Adapt or Sweep page first estimates."""
    start_seconds(workspace)


def slot() -> DeltaGenerator:
    """Where an estimate will be shown: it says "Estimating…" until :func:`fill` (called at the end of
    the page or after its launch button, so estimating never holds back what comes before)."""
    placeholder = st.empty()
    placeholder.caption("Estimating how long it takes…")
    return placeholder


def fill(placeholder: DeltaGenerator, line: str | None) -> None:
    """Show ``line`` (``runs_line``/``sweep_line``) in the :func:`slot`, or empty it when there is none."""
    if line:
        placeholder.caption(display.esc(line))
    else:
        placeholder.empty()


@st.cache_data(ttl=FRESH_FOR, max_entries=64, show_spinner=False)
def _estimate(
    root: str,
    config: str,
    baseline_trained: bool,
    workspace_cache: bool,
    *,
    threads: int | None,
    start_measured: bool,
) -> Estimate:
    """The estimate of ``config`` (JSON) in the workspace at ``root`` (``baseline_trained``: by a run
    before it; ``workspace_cache``: it reuses a baseline the workspace's cache holds; ``threads``: the
    run's torch threads, None: a launched run's; ``start_measured``: the key only, an estimate made
    before a worker's start was measured is not kept after)."""
    cfg = AdaptConfig.from_dict(json.loads(config))
    pair = split_pair(*engine.load_pair(cfg.source, cfg.target, cfg.seed), cfg)
    with worker_thread_share(Limits.from_env().max_running, threads):  # the thread count the run has
        workspace = engine.workspace()
        return estimate(cfg, pair, workspace, baseline_trained, True, workspace_cache=workspace_cache)
