"""Tables and sentences for where a run's target predictions moved (:mod:`tlcore.runs.changes`).

Pure; the CLI's ``runs changes`` and the app's Compare page share them, so both say the same.
"""

from __future__ import annotations

from typing import Any

from tlcore.runs.changes import RunChanges


def headline(run: RunChanges, labels: dict[str, str] | None = None) -> str:
    """One sentence: how many target predictions changed, between which two models."""
    name = (labels or {}).get
    changes = run.changes
    if run.against is None:
        between = f"from {name(run.run_id, run.run_id)}'s source-only model to its adapted model"
    else:
        between = f"between {name(run.run_id, run.run_id)} and {name(run.against, run.against)}"
    return (
        f"{changes.changed:,} of {changes.n_samples:,} target predictions ({changes.share_changed:.1%}) "
        f"changed class {between}."
    )


def flow_rows(run: RunChanges, top: int | None = None) -> list[dict[str, Any]]:
    """The largest ``top`` flows (all when None): from, to, samples and their share of "from"."""
    changes = run.changes
    return [
        {
            "from": changes.classes[flow.before],
            "to": changes.classes[flow.after],
            "samples": flow.count,
            "share of from": flow.share,
        }
        for flow in changes.flows()[:top]
    ]
