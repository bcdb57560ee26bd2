"""Whether a pair's target, as its runs load it, is blank enough for a warning
(:func:`tlcore.data.ink.blank_warning`): ``runs rank`` and the Compare page say so beside their ranking."""

from __future__ import annotations

from tlcore.adapt.config import AdaptConfig
from tlcore.data.ink import blank_warning
from tlcore.data.spec import load_domain
from tlcore.errors import TLError
from tlcore.runs.store import RunStore


def pair_blank_warning(store: RunStore, source: str, target: str) -> str | None:
    """:func:`~tlcore.data.ink.blank_warning` of the pair's target, loaded as its newest done run loaded
    it (spec and seed); None when the pair has no done run or the target no longer loads."""
    records = store.done_runs(source, target)
    if not records:
        return None
    try:
        config = AdaptConfig.from_dict(records[0].config)
        return blank_warning(load_domain(config.target, store.workspace, config.seed), "target")
    except TLError:
        return None
