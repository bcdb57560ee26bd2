"""A run's domain gap before and after adapting, as Compare, its report and ``runs show`` read it:
the samples it was measured on, the before / after figure, and a reading when the measures disagree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from tlcore.metrics.gap_names import GAP_METRICS
from tlcore.views.gap_figure import metrics_before_after
from tlcore.views.run_tables import gap_samples

Results = Mapping[str, Mapping[str, Any]]


def gap_figure(results: Results) -> go.Figure:
    """Each run's gap after adaptation beside its own gap before it (runs of other pairs or seeds
    measured another gap before adapting); metrics no run stored are left out."""
    gaps = {w: [r.get(f"gap_{w}") or {} for r in results.values()] for w in ("before", "after")}
    keys = [k for k in GAP_METRICS if any(k in gap for stored in gaps.values() for gap in stored)]
    before, after = (
        {
            label: {GAP_METRICS[k]: gap.get(k, np.nan) for k in keys}
            for label, gap in zip(results, gaps[w], strict=True)
        }
        for w in ("before", "after")
    )
    where = f"in the models' features, {gap_note(results)}"  # under the title: a narrow column cut it
    return metrics_before_after(before, after, "Domain gap: before vs after", where)


def gap_note(results: Results) -> str:
    """What the runs' gaps were measured on: each run's held-out splits (``on the run's held-out splits:
    200 source validation, 8 target test samples``), not the whole pair Diagnose measures."""
    measured = list(dict.fromkeys(filter(None, (gap_samples(r.get("gap_before")) for r in results.values()))))
    where = "on the run's held-out splits" if len(results) == 1 else "on each run's held-out splits"
    return f"{where}: {'; '.join(measured)}" if measured else where


def gap_disagreement(results: Results) -> str | None:
    """A reading when a run's gap measures move different ways from before to after adapting (QA:
    MMD² fell 0.236 -> 0.041 while CORAL and the proxy A-distance rose, with nothing to say which to
    trust), else None. A run measures its gap before and after in two feature spaces, its source-only
    model's and its adapted model's, so the measures compare more than the domains."""
    split = []
    for label, result in results.items():
        before, after = result.get("gap_before") or {}, result.get("gap_after") or {}
        moves = {
            name: after[key] - before[key]
            for key, name in GAP_METRICS.items()
            if before.get(key) is not None and after.get(key) is not None
        }
        fell, rose = [n for n, d in moves.items() if d < 0], [n for n, d in moves.items() if d > 0]
        if fell and rose:
            split.append(f"for {label}, {' and '.join(fell)} fell while {' and '.join(rose)} rose")
    if not split:
        return None
    return (
        f"The gap measures disagree: {'; '.join(split)}. Each run measures its gap before adapting in "
        "its source-only model's features and after in its adapted model's, so a measure can rise "
        "because adapting changed the features themselves: CORAL compares covariances at the features' "
        "own scale, the proxy A-distance how well a linear classifier tells the domains apart, MMD² "
        "the distributions at a bandwidth scaled to the features. None of them is target accuracy: "
        "judge runs by the label-free ranking and by where their predictions moved."
    )
