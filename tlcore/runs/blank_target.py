"""Whether a pair's target, as its runs load it, is blank enough for a warning
(:func:`tlcore.data.ink.blank_warning`): ``runs rank`` and the Compare page say so beside their ranking,
``runs show`` beside one run. Each run's warning is computed once and stored in its folder
(:data:`~tlcore.runs.run_files.BLANK_FILE`, written when the run finishes or on the first read that needs
it): reading it again loads neither data nor torch."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tlcore.adapt.config import AdaptConfig
from tlcore.errors import TLError
from tlcore.runs.record import RunRecord
from tlcore.runs.run_files import BLANK_FILE
from tlcore.runs.store import RunStore
from tlcore.workspace import atomic_write

if TYPE_CHECKING:
    from tlcore.data.domain import Domain


def pair_blank_warning(store: RunStore, source: str, target: str) -> str | None:
    """:func:`run_blank_warning` of the pair's newest done run; None when the pair has none."""
    records = store.done_runs(source, target)
    return run_blank_warning(store, records[0]) if records else None


def run_blank_warning(store: RunStore, record: RunRecord, target: Domain | None = None) -> str | None:
    """:func:`~tlcore.data.ink.blank_warning` of the run's target, stored in the run's folder the first
    time: ``target``, the harmonised target the run loaded (its worker passes it as the run finishes),
    else the target spec loaded again with the run's seed (a run stored before workers passed it);
    None when that target no longer loads (not stored: it may load again)."""
    try:
        return stored_once(
            store.folder(record.id) / BLANK_FILE, lambda: computed_blank_warning(store, record, target)
        )
    except TLError:
        return None


def computed_blank_warning(store: RunStore, record: RunRecord, target: Domain | None = None) -> str | None:
    """:func:`run_blank_warning` computed from ``target``, else from the run's target loaded again
    (both load torch); a target that no longer loads → :class:`TLError`."""
    from tlcore.data.ink import blank_warning  # noqa: PLC0415 - loads torch
    from tlcore.data.spec import load_domain  # noqa: PLC0415 - loads torch

    if target is None:
        config = AdaptConfig.from_dict(record.config)
        target = load_domain(config.target, store.workspace, config.seed)
    return blank_warning(target, "target")


def stored_once(path: Path, compute: Callable[[], str | None]) -> str | None:
    """The warning stored at ``path`` (None: not blank); the first call, or one that finds the file
    damaged, stores what ``compute`` returns (atomically; a read-only workspace just returns it). An
    error ``compute`` raises is not stored."""
    with contextlib.suppress(OSError, ValueError):
        stored = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(stored, dict) and isinstance(stored.get("blank", 0), str | None):
            return stored["blank"]
    blank = compute()
    text = json.dumps({"blank": blank})
    with contextlib.suppress(OSError):
        atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
    return blank
