"""Tables, sentences and pictures for where a run's target predictions moved
(:mod:`tlcore.runs.changes`).

Pure; the CLI's ``runs changes``, the app's Compare page and the comparison report share them, so
all three say the same.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from PIL import Image

from tlcore.data.domain import Domain
from tlcore.runs.changes import RunChanges
from tlcore.selection.changes import Flow
from tlcore.views.report import Section
from tlcore.views.thumbnails import thumbnail_grid

TOP_FLOWS = 10  # rows of the flow table
PICTURED_FLOWS = 3  # flows the report shows samples of


def headline(run: RunChanges, labels: Mapping[str, str] | None = None) -> str:
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


def flow_label(run: RunChanges, flow: Flow) -> str:
    """``"1 → 2: 24 samples"``."""
    classes = run.changes.classes
    return f"{classes[flow.before]} → {classes[flow.after]}: {flow.count} samples"


def flow_grid(run: RunChanges, target: Domain, flow: Flow, count: int = 24) -> Image.Image:
    """Up to ``count`` of the flow's samples (most confident first), captioned with their ids;
    ``target`` is :func:`tlcore.runs.changes.predicted_samples`. Cells are wide enough for a file name
    such as ``scan_035.png`` on its own line."""
    index = run.changes.samples(flow)[:count]
    return thumbnail_grid(target.X[index], [target.ids[i] for i in index], columns=8, cell=72)


def report_section(
    run: RunChanges, target: Domain | None, labels: Mapping[str, str] | None = None
) -> Section:
    """The comparison report's part: the sentence, the flow table and the samples of the largest
    flows (none when ``target`` is None)."""
    pictures = []
    for flow in run.changes.flows()[:PICTURED_FLOWS] if target is not None else []:
        buffer = io.BytesIO()
        flow_grid(run, target, flow, count=16).save(buffer, format="PNG")
        pictures.append((flow_label(run, flow), buffer.getvalue()))
    name = (labels or {}).get(run.run_id, run.run_id)
    return Section(
        f"Where the predictions of {name} moved",
        note=headline(run, labels),
        table=flow_rows(run, top=TOP_FLOWS),
        pictures=pictures,
    )
