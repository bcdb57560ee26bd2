"""A sweep's configurations split by the method parameters their trials' runs were built with.

A configuration (a trial minus its seed) pools its seeds' runs into one mean ± std. A run trained
under a method default since changed (:func:`~tlcore.adapt.stored_params.drifts`, e.g. a sweep
resumed after Deep CORAL's default layer changed) is another configuration: its key names the
parameters as it had them, ``deep_coral|deep_coral.layer=features``. A run stored before runs kept
their parameters (:func:`~tlcore.adapt.stored_params.unknown`) is marked ``resolved_params=unknown``
where its configuration also holds runs of known parameters; it is pooled with none of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlcore.adapt.stored_params import RESOLVED, drift_key, drifts, unknown
from tlcore.runs.record import RunRecord

UNKNOWN_TAG = f"{RESOLVED}=unknown"


def run_tag(run: RunRecord | None) -> str:
    """What sets a trial's run apart from today's launch of its config: ``deep_coral.layer=features``
    (:func:`~tlcore.adapt.stored_params.drift_key`), :data:`UNKNOWN_TAG`, or "" (today's; no run yet)."""
    if run is None:
        return ""
    if found := drifts(run.config, run.resolved_params):
        return drift_key(found)
    return UNKNOWN_TAG if unknown(run.config, run.resolved_params) else ""


def config_keys(trials: Sequence[tuple[str, RunRecord | None]]) -> list[str]:
    """The key of each ``(config key, newest run)`` trial's configuration in a sweep's summary: its
    config key, ``|`` the :func:`run_tag` of a run built with other parameters (:data:`UNKNOWN_TAG`
    only where the config key holds runs of other tags too)."""
    tags = [run_tag(run) for _, run in trials]
    seen: dict[str, set[str]] = {}
    for (key, _), tag in zip(trials, tags, strict=True):
        seen.setdefault(key, set()).add(tag)
    keys = []
    for (key, _), tag in zip(trials, tags, strict=True):
        shown = tag if tag != UNKNOWN_TAG or len(seen[key]) > 1 else ""
        keys.append(f"{key}|{shown}" if shown else key)
    return keys
