"""Pools whose runs stand on different source-only models: another backbone or baseline config.

Each run's guardrails (:func:`tlcore.selection.alarm.check_run`) compare it with its own source-only
model only, so in a pool that mixes configs a run of a weak backbone passes against its weak baseline
while a run of a strong backbone is flagged against its strong one, and the weak run would be
recommended over both. The rule here extends the ensemble-agreement guardrail across configs: every
model of the pool is scored on the same ensemble (EnsV, Hu et al. 2024), so a run is recommended only
when its adapted model's EnsV is not below any *other config's* source-only model's; when no passing
run clears that bar, the recommendation is the source-only model with the highest EnsV of the pool.

A config is :attr:`~tlcore.selection.pool.Candidate.baseline`: the resolved backbone and the fields
of :func:`tlcore.adapt.cache.baseline_key` other than the seed (seeds of one config are replicates,
each checked against its own baseline as before). In a pool of one config :func:`outranked` is always
None: the ranking is the old rule's, run for run. Configs are compared within a setup only (the
network, its target labels: :mod:`tlcore.selection.setups`): a pool of several networks is ranked
once per network, so here the configs differ in how the source-only model trained (epochs, image size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tlcore.selection.ranking import RankedRun


@dataclass(frozen=True)
class Baseline:
    """One config of the pool: its ``label``, its runs (by id), and the highest EnsV of its
    source-only models (one per seed) with the run whose source-only model has it."""

    label: str
    run_ids: tuple[str, ...]
    ensv: float
    run_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "run_ids": list(self.run_ids), "ensv": self.ensv, "run_id": self.run_id}


def baselines(entries: Sequence[RankedRun]) -> tuple[Baseline, ...]:
    """The pool's configs, strongest source-only model (EnsV) first; ties by label, a config's best
    run by id."""
    labels = sorted({e.baseline for e in entries})
    found = []
    for label in labels:
        runs = sorted((e for e in entries if e.baseline == label), key=lambda e: e.run_id)
        best = max(runs, key=lambda e: e.scores_before["ensv"])  # first of the ties: the smallest id
        found.append(Baseline(label, tuple(e.run_id for e in runs), best.scores_before["ensv"], best.run_id))
    return tuple(sorted(found, key=lambda b: -b.ensv))


def outranked(entry: RankedRun, configs: Sequence[Baseline]) -> Baseline | None:
    """The strongest source-only model of another config whose EnsV is above ``entry``'s adapted
    model's (None when there is none: always so in a pool of one config)."""
    above = [b for b in configs if b.label != entry.baseline and b.ensv > entry.scores["ensv"]]
    return above[0] if above else None


LISTED_RUNS = 3  # a config of more runs names its strongest source-only model's run and counts the rest


def described(configs: Sequence[Baseline]) -> str:
    """``"2 source-only models: A (EnsV 0.907; run x) and B (EnsV 0.540; runs y, z)"``; a config of
    more than :data:`LISTED_RUNS` runs reads ``C (EnsV 0.612 at run w; 30 runs)`` (``runs rank --json``
    lists them all)."""
    parts = [f"{b.label} (EnsV {b.ensv:.3f}{runs_of(b)})" for b in configs]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"{len(configs)} source-only models: {listed}"


def runs_of(config: Baseline) -> str:
    """``; runs y, z`` or, past :data:`LISTED_RUNS`, `` at run w; 30 runs``."""
    ids = config.run_ids
    if len(ids) > LISTED_RUNS:
        return f" at run {config.run_id}; {len(ids)} runs"
    return f"; run{'s' if len(ids) != 1 else ''} {', '.join(ids)}"


def kept_reason(strongest: Baseline, configs: Sequence[Baseline]) -> str:
    """Why the recommendation is the strongest source-only model, and how to get it."""
    return (
        f"this pool mixes {described(configs)}; each run's guardrails compare it with its own source-only "
        f"model only, and no run that passed them reaches the EnsV of the strongest one "
        f"({strongest.label}: {strongest.ensv:.3f}), so keep that model: adapt with run "
        f"{strongest.run_id}'s settings and --method source_only (its baseline is cached: nothing trains)"
    )


def cleared(configs: Sequence[Baseline]) -> str:
    """The clause a recommendation in a mixed pool adds to its reason (which says the run's EnsV
    reaches every other config's source-only model's)."""
    return f"; this pool mixes {described(configs)}"
