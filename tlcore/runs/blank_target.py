"""Whether a pair's target, as its runs load it, is blank enough for a warning
(:func:`tlcore.data.ink.blank_warning`): ``runs rank`` and the Compare page say so beside their ranking,
``runs show`` beside one run."""

from __future__ import annotations

from tlcore.adapt.config import AdaptConfig
from tlcore.data.ink import blank_warning
from tlcore.data.spec import load_domain
from tlcore.errors import TLError
from tlcore.runs.record import RunRecord
from tlcore.runs.store import RunStore


def pair_blank_warning(store: RunStore, source: str, target: str) -> str | None:
    """:func:`run_blank_warning` of the pair's newest done run; None when the pair has none."""
    records = store.done_runs(source, target)
    return run_blank_warning(store, records[0]) if records else None


def run_blank_warning(store: RunStore, record: RunRecord) -> str | None:
    """:func:`~tlcore.data.ink.blank_warning` of the run's target, loaded as the run loaded it (spec
    and seed); None when the target no longer loads."""
    try:
        config = AdaptConfig.from_dict(record.config)
        return blank_warning(load_domain(config.target, store.workspace, config.seed), "target")
    except TLError:
        return None
