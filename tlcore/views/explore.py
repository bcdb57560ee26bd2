"""Tables behind the interactive views: one row per projected sample, selections, foreign samples.

Pure functions over :class:`~tlcore.diagnosis.GapReport`, :class:`~tlcore.data.Domain` and run
results; the app's Diagnose and Compare pages and the HTML report call them, so no page does its
own bookkeeping of indices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from tlcore.data.domain import Domain, shown_name
from tlcore.data.uploads import LABELS_IGNORED
from tlcore.diagnosis import GapReport
from tlcore.features import model_outputs
from tlcore.numbers import as_written, shape_text, significant
from tlcore.views.text_cells import row_cells

UNLABELLED = "unlabelled"
SAMPLE_ID = "sample id"  # a table row's identifier as the Data and Diagnose pages name it (QA helper-246)
COLUMNS = ("x", "y", "domain", "sample", SAMPLE_ID, "label", "prediction", "foreignness")


def provenance_line(domain: Domain) -> str:
    """A domain's provenance for a caption, `` · unlabelled`` added when unlabelled, unless the
    provenance says so already (``label=none``: ``labels ignored``)."""
    said = domain.labelled or LABELS_IGNORED in domain.provenance
    return domain.provenance + ("" if said else f" · {UNLABELLED}")


def _names(classes: Sequence[str], labels: torch.Tensor | np.ndarray | None, index: np.ndarray) -> list[str]:
    if labels is None:
        return [UNLABELLED] * len(index)
    values = np.asarray(labels)[index]
    return [classes[int(v)] for v in values]


def predict(model: nn.Module, domain: Domain) -> np.ndarray:
    """The model's predicted class index for every sample of ``domain``."""
    logits, _ = model_outputs(model, domain.X)
    return logits.argmax(1).numpy()


def table_preview(domain: Domain, rows: int = 8) -> pd.DataFrame:
    """The first ``rows`` samples of a feature-vector domain, headed by its column names (a place of a
    file without a header as its column of the file: :func:`~tlcore.data.domain.shown_name`), indexed by
    their :data:`SAMPLE_ID` (the file's id column, else its 0-based data row: :attr:`Domain.ids
    <tlcore.data.domain.Domain.ids>`) and with their class last, under ``label``, when labelled (QA
    helper-142: row numbers, no label)."""
    index = pd.Index(domain.ids[:rows], name=SAMPLE_ID)
    values = [as_written(row) for row in domain.X[:rows].numpy()]
    columns = [shown_name(n, domain.file_columns) for n in domain.column_names]
    frame = pd.DataFrame(values, columns=columns, index=index, dtype=float)
    if domain.y is not None:
        name = "label" if "label" not in frame.columns else "label (class)"
        frame[name] = [domain.classes[int(c)] for c in domain.y[:rows]]
    return frame


def shape_card(domain: Domain, paired: Domain | None) -> tuple[str, str]:
    """The Data page's Shape card of a side: its value (:func:`~tlcore.numbers.shape_text`) and help.
    Paired, the shape the pair uses (a target's columns matched to the source's: a text value the source
    never had has no 0/1 column there, one it has and the file lacks a column of zeros; images resized),
    the file's own named in the help when it differs (a card of the file's own count read as the pair's:
    QA); else the file's, said to be before pairing."""
    own = shape_text(domain.shape)
    if paired is None:
        return own, "as the file reads, before pairing with the other side"
    shape, used = shape_text(paired.shape), "as the pair uses it (runs, Diagnose)"
    if shape == own:
        return shape, used
    return shape, f"{used}; the file alone reads {own}: the pair fits it to the source (the notes below)"


def umap_points(
    report: GapReport,
    source: Domain,
    target: Domain,
    predictions: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per projected sample: ``x, y, domain, sample, sample id, label, prediction, foreignness``.

    ``sample`` indexes into the (harmonised) ``source`` or ``target``, :data:`SAMPLE_ID` is that sample's
    id (:attr:`Domain.ids <tlcore.data.domain.Domain.ids>`: a table's id column, an upload's file path,
    else its 0-based row), what the map's hover names it by; ``predictions`` are optional
    ``(source, target)`` class indices for all samples; ``foreignness`` is NaN for source rows.
    """
    if report.umap is None:
        return pd.DataFrame(columns=list(COLUMNS))
    parts = []
    for role, domain, coords, index in (
        ("source", source, report.umap.coords_source, report.umap.index_source),
        ("target", target, report.umap.coords_target, report.umap.index_target),
    ):
        predicted = None if predictions is None else predictions[role == "target"]
        scores = np.asarray(report.target_foreignness)[index] if role == "target" else np.nan
        parts.append(
            pd.DataFrame(
                {
                    "x": coords[:, 0],
                    "y": coords[:, 1],
                    "domain": role,
                    "sample": index,
                    SAMPLE_ID: [domain.ids[int(i)] for i in index],
                    "label": _names(source.classes, domain.y, index),
                    "prediction": _names(source.classes, predicted, index) if predicted is not None else "",
                    "foreignness": scores,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def result_points(umap: Mapping[str, Any]) -> pd.DataFrame:
    """A run result's ``umap_before`` / ``umap_after`` as the same table as :func:`umap_points`."""
    classes = list(umap["classes"])
    frame = pd.DataFrame({"x": umap["x"], "y": umap["y"], "domain": umap["domain"]})
    frame["sample"] = np.arange(len(frame))
    for column in ("label", "prediction"):
        values = umap.get(column)
        frame[column] = (
            [UNLABELLED if v is None or v < 0 else classes[int(v)] for v in values] if values else UNLABELLED
        )
    frame["foreignness"] = np.nan
    return frame


def domain_share(points: pd.DataFrame) -> dict[str, float]:
    """Share of ``source`` and ``target`` rows in ``points`` (zeros when empty)."""
    total = len(points)
    return {
        role: (float((points["domain"] == role).sum()) / total if total else 0.0)
        for role in ("source", "target")
    }


def selection_images(
    points: pd.DataFrame, source: Domain, target: Domain, limit: int = 32, seed: int = 0
) -> tuple[torch.Tensor, list[str]]:
    """Images of up to ``limit`` selected rows (a seeded draw, target first, half each when both
    domains are selected) and captions (``S`` / ``T`` plus the class)."""
    target_rows = points[points["domain"] == "target"]
    source_rows = points[points["domain"] == "source"]
    n_target = min(len(target_rows), max(limit // 2, limit - len(source_rows)))
    n_source = min(len(source_rows), limit - n_target)
    rows = pd.concat(
        [target_rows.sample(n_target, random_state=seed), source_rows.sample(n_source, random_state=seed)]
    )
    images, captions = [], []
    for role, sample, label in zip(rows["domain"], rows["sample"], rows["label"], strict=True):
        domain = source if role == "source" else target
        images.append(domain.X[int(sample)])
        captions.append(f"{role[0].upper()} {label if label != UNLABELLED else '?'}")
    if not images:
        return torch.empty(0, *source.shape), []
    return torch.stack(images), captions


def most_foreign(report: GapReport, count: int = 16) -> np.ndarray:
    """Indices of the ``count`` target samples the domain classifier is surest are not source-like: by
    their log-odds, which order the samples whose ``p`` all round to 1 (by ``p`` in a report without)."""
    scores = np.asarray(report.target_log_odds if len(report.target_log_odds) else report.target_foreignness)
    return np.argsort(-scores, kind="stable")[:count]


def foreign_log_odds(log_odds: float) -> str:
    """A foreign sample's caption: the held-out domain classifier's log-odds that it is a target sample,
    ``ln(p / (1 - p))``, by :func:`~tlcore.numbers.significant` to 3 digits (``19.2``, ``4.61``, ``-0.51``).
    The most foreign samples of a clear gap all have a ``p`` near 1: at 2 decimals every one read 1.00
    (QA), and float32 holds ``p`` near 1 to 6e-8 only (a log-odds of 16.6); their log-odds tell them
    apart."""
    return significant(float(log_odds), 3)


LOG_ODDS = "log-odds"  # the table's column of it
LOG_ODDS_WORDS = (  # after "Under each: " (images) or "log-odds: " (a table)
    "the log-odds that it is a target sample, ln(p / (1 - p)), of a domain classifier that did not train on "
    "it (it tells source from target features, both given equal weight): 0, it cannot tell; 4.6 is "
    "p = 0.99 (99:1); each 2.3 more, ten times the odds."
)


def foreign_rows(
    report: GapReport, target: Domain, index: np.ndarray, first: Sequence[int] = ()
) -> list[dict[str, Any]]:
    """A row per target feature vector of ``index`` (:func:`most_foreign`): its :data:`SAMPLE_ID` (what
    the user finds in their file: a table's id column, else its 0-based data row; :attr:`Domain.ids
    <tlcore.data.domain.Domain.ids>`), the domain classifier's log-odds that it is a target row
    (:data:`LOG_ODDS`; its ``p`` to 3 decimals read 1.0 in every row of a clear gap: QA helper-220)
    and its values by column name (:attr:`~tlcore.data.domain.Domain.column_names`: the table's
    header, else each column's place in the file, ``column 4 of the file``), the columns ``first``
    (indices: the drifted ones, as the explanation ranks them) before the rest in the file's order, so
    that the columns behind the verdict are on screen; a text column read as 0/1 columns is one cell,
    the row's value (:mod:`tlcore.views.text_cells`)."""
    order = list(dict.fromkeys([*first, *range(len(target.column_names))]))
    cells = row_cells(target)
    rows = []
    for i in index:
        row = {SAMPLE_ID: target.ids[int(i)], LOG_ODDS: round(float(report.target_log_odds[i]), 2)}
        rows.append(row | cells(int(i), order))
    return rows
