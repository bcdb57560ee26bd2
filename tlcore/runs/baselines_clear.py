"""Clearing the trained source-only baselines (``cache/baselines``,
:data:`tlcore.cache_files.BASELINES`), which no prune or plain clear touches: ``python -m tlcore cache
--clear --baselines``. Refused while a run or sweep of the workspace is live (queued or running, its
worker or driver alive; the ones whose process is gone are closed first, as a delete does): a live run
reads its baseline from there and stores the one it trains. The next run of each configuration trains
its baseline again; ``diagnose --features baseline:ID`` and the label-shift estimates of earlier runs
find none. A workspace without a run index has no run to wait for: the index is not opened (opening it
would create it). Without torch.
"""

from __future__ import annotations

from tlcore.cache_files import BASELINES, clear_kept
from tlcore.errors import TLError
from tlcore.numbers import and_more
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace

NAMED = 3  # live runs and sweeps a refusal names; the rest counted


def clear_baselines(workspace: Workspace) -> tuple[int, int]:
    """Remove every trained baseline of ``workspace``: how many and their bytes; a :class:`TLError`
    naming the live runs and sweeps, nothing removed, while any is."""
    live = _live(workspace)
    if live:
        one = len(live) == 1
        which = "a run or sweep is" if one else f"{len(live)} runs or sweeps are"
        named = ", ".join(live[:NAMED]) + and_more(len(live) - NAMED)
        raise TLError(
            f"cannot clear the baselines while {which} live ({named}): a live run reads its source-only "
            "baseline from cache/baselines and stores the one it trains; clear them once "
            f"{'it ends' if one else 'they end'} (or cancel: runs cancel ID, sweeps cancel ID)"
        )
    return clear_kept(workspace.inside(*BASELINES.parts), BASELINES.suffix)


def _live(workspace: Workspace) -> list[str]:
    """The live runs and sweeps of ``workspace`` ("run ID", "sweep ID"); none, and no index made,
    where it has no run index yet."""
    if not workspace.index_path.is_file():
        return []
    sweeps = SweepStore(workspace)
    return [f"run {r.id}" for r in sweeps.runs.live()] + [f"sweep {s.id}" for s in sweeps.live()]
