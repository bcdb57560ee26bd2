"""Tables, sentences and pictures for where a run's target predictions moved
(:mod:`tlcore.runs.changes`).

A flow's samples show as thumbnails for images and, for feature vectors (a table), as a table: the
sample id and the feature values, the columns where the flow's samples differ most from the rest of
the target first (:func:`flow_columns`), so what set those rows apart reads from the left.

Pure; the CLI's ``runs changes``, the app's Compare page and the comparison report share them, so
all three say the same.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from PIL import Image

from tlcore.data.domain import Domain, shown_name
from tlcore.explain.columns import mean_shift
from tlcore.numbers import plural, sds
from tlcore.runs.changes import RunChanges
from tlcore.selection.changes import Flow
from tlcore.views.report import Section
from tlcore.views.text_cells import row_cells
from tlcore.views.thumbnails import thumbnail_grid

TOP_FLOWS = 10  # rows of the flow table
PICTURED_FLOWS = 3  # flows the report shows samples of
REPORT_SAMPLES = 16  # samples the report shows of each of those flows
REPORT_COLUMNS = 12  # feature columns of a report's flow table, the most different first
NAMED_COLUMNS = 3  # columns :func:`flow_note` names
TEXT_COLUMNS = 6  # feature columns ``runs changes`` lists of a table's flow, the most different first


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
    return f"{classes[flow.before]} → {classes[flow.after]}: {plural(flow.count, 'sample')}"


def flow_grid(run: RunChanges, target: Domain, flow: Flow, count: int = 24) -> Image.Image:
    """Up to ``count`` of the flow's samples (most confident first), captioned with their ids;
    ``target`` is :func:`tlcore.runs.changes.predicted_samples`. Cells are wide enough for a file name
    such as ``scan_035.png`` on its own line."""
    index = run.changes.samples(flow)[:count]
    return thumbnail_grid(target.X[index], [target.ids[i] for i in index], columns=8, cell=72)


def flow_columns(run: RunChanges, target: Domain, flow: Flow) -> list[tuple[str, float]]:
    """Every column of a feature-vector ``target`` (:attr:`tlcore.data.domain.Domain.column_names`) with
    the flow's mean shift from the rest of the target, in the rest's standard deviations
    (:func:`tlcore.explain.columns.mean_shift`): largest ``|shift|`` first (ties: column order). When
    the flow holds every target sample there is no rest: the table's order, every shift 0."""
    names = target.column_names
    members = np.zeros(target.n_samples, dtype=bool)
    members[run.changes.samples(flow)] = True
    if members.all():
        return [(name, 0.0) for name in names]
    X = target.X.double()
    shift = mean_shift(X[torch.from_numpy(~members)], X[torch.from_numpy(members)]).tolist()
    order = sorted(range(len(names)), key=lambda j: -abs(shift[j]))
    return [(names[j], shift[j]) for j in order]


def flow_note(run: RunChanges, target: Domain, flow: Flow) -> str:
    """How a flow's table orders its columns, naming the :data:`NAMED_COLUMNS` that differ most."""
    if flow.count == target.n_samples:
        return "Every target sample moved this way: no rest to compare with, columns in the table's order."
    columns = flow_columns(run, target, flow)[:NAMED_COLUMNS]
    named = ", ".join(f"{shown_name(name, target.file_columns)} {sds(shift)}" for name, shift in columns)
    return (
        "Columns ordered by how far these samples' mean lies from the rest of the target's, in the "
        f"rest's standard deviations: {named}."
    )


def flow_table(
    run: RunChanges, target: Domain, flow: Flow, count: int = 24, columns: int | None = None
) -> list[dict[str, Any]]:
    """Up to ``count`` of the flow's samples (most confident first) of a feature-vector ``target``:
    the sample id, then the values of the ``columns`` (all when None) of :func:`flow_columns`; a text
    column read as 0/1 columns is one cell, the row's value, where its first 0/1 column ranks, as
    Diagnose's most foreign rows show it (:mod:`tlcore.views.text_cells`)."""
    where = {name: j for j, name in enumerate(target.column_names)}
    shown = [where[name] for name, _ in flow_columns(run, target, flow)[:columns]]
    cells = row_cells(target)
    return [
        {"sample id": target.ids[i]} | cells(i, shown) for i in run.changes.samples(flow)[:count].tolist()
    ]


def flow_details(
    run: RunChanges, target: Domain, flow: Flow, count: int, columns: int | None = TEXT_COLUMNS
) -> dict[str, Any]:
    """What the Compare page shows of a feature-vector flow, as data for ``runs changes`` (its text and
    ``--json``): the sentence (:func:`flow_note`), the ``columns`` (all when None) of
    :func:`flow_columns` with their shifts, and up to ``count`` rows of :func:`flow_table`."""
    return {
        "note": flow_note(run, target, flow),
        "columns": [
            {"column": shown_name(n, target.file_columns), "shift": s}
            for n, s in flow_columns(run, target, flow)[:columns]
        ],
        "rows": flow_table(run, target, flow, count, columns),
    }


def report_section(
    run: RunChanges, target: Domain | None, labels: Mapping[str, str] | None = None
) -> Section:
    """The comparison report's part: the sentence, the flow table and the samples of the largest
    flows (none when ``target`` is None): thumbnails for images, tables for feature vectors."""
    pictures, tables = [], []
    for flow in run.changes.flows()[:PICTURED_FLOWS] if target is not None else []:
        if not target.is_image:
            caption = f"{flow_label(run, flow)}. {flow_note(run, target, flow)}"
            tables.append((caption, flow_table(run, target, flow, REPORT_SAMPLES, REPORT_COLUMNS)))
            continue
        buffer = io.BytesIO()
        flow_grid(run, target, flow, count=REPORT_SAMPLES).save(buffer, format="PNG")
        pictures.append((flow_label(run, flow), buffer.getvalue()))
    name = (labels or {}).get(run.run_id, run.run_id)
    return Section(
        f"Where the predictions of {name} moved",
        note=headline(run, labels),
        table=[
            row | {"share of from": f"{row['share of from']:.1%}"} for row in flow_rows(run, top=TOP_FLOWS)
        ],
        pictures=pictures,
        tables=tables,
    )
