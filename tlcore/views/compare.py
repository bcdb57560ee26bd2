"""Comparing done runs: tables, figures and the HTML report built from their stored results.

A comparison is ``{run label: result}``, the dicts :meth:`tlcore.runs.RunStore.result` returns
(see :class:`tlcore.adapt.AdaptResult`). Everything here is pure; the app's Compare page and the
report share it, so both show the same numbers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from tlcore.adapt.source_only_run import is_source_only
from tlcore.adapt.stored_params import drift_text, drifts
from tlcore.data.domain import Domain
from tlcore.metrics.accuracy_change import fell
from tlcore.metrics.gap_names import GAP_METRICS
from tlcore.metrics.mcnemar import described_change, shown_within_chance
from tlcore.metrics.proportion import SMALL_TEST
from tlcore.runs.changes import RunChanges
from tlcore.runs.record import RunRecord
from tlcore.selection.ranking import Ranking
from tlcore.selection.settings import VALIDATORS
from tlcore.views import changes, class_figures, explore, figures, umap_figure
from tlcore.views import ranking as ranking_view
from tlcore.views.gaps import Results, gap_disagreement, gap_figure
from tlcore.views.overlap_lines import inflated_line, unchecked_line
from tlcore.views.report import Section, render_report
from tlcore.views.run_names import cut_names, run_label, short_label, short_labels
from tlcore.views.run_tables import (
    class_accuracies,
    confusion_table,
    counted_accuracies,
    n_target_test,
    paired_change,
    training_length,
)


def params_notes(records: Iterable[RunRecord]) -> list[str]:
    """``deep_coral · a1b2c3: trained with deep_coral.layer=features (today's defaults: logits)`` for each
    run whose method parameters today's defaults resolve otherwise
    (:func:`~tlcore.adapt.stored_params.drifts`): it is not the run a launch of its config gives today."""
    notes = ((run_label(r), drift_text(drifts(r.config, r.resolved_params))) for r in records)
    return [f"{label}: {text}" for label, text in notes if text]


def accuracy_change(result: Mapping[str, Any]) -> float | None:
    """Target accuracy minus source-only accuracy of one result or run headline (None if unknown)."""
    target, base = result.get("target_accuracy"), result.get("source_only_accuracy")
    return None if target is None or base is None else float(target) - float(base)


def target_accuracy_label(result: Mapping[str, Any]) -> str:
    """``Target accuracy (test split, 359 samples)``: a result's ``target_accuracy`` is scored on the
    target's held-out test split (``AdaptConfig.test_fraction`` of it), not on every target sample."""
    n = n_target_test(result)
    return f"Target accuracy (test split, {n:,} samples)" if n else "Target accuracy (test split)"


def small_test_note(results: Results) -> str | None:
    """One caption when a run's target test split holds fewer than :data:`SMALL_TEST` samples, where
    one sample moves an accuracy by over 3 points: ``The target test split holds 8 samples: one sample
    moves accuracy by 12.5 points ...``; None otherwise."""
    sizes = [n for r in results.values() if r.get("target_accuracy") is not None and (n := n_target_test(r))]
    if not sizes or min(sizes) >= SMALL_TEST:
        return None
    n = min(sizes)
    smallest = " (the smallest of these runs')" if len(set(sizes)) > 1 else ""
    return (
        f"The target test split holds {n:,} samples{smallest}: one sample moves accuracy by "
        f"{100 / n:.1f} points, so a change of a few samples can be chance. The counts and 95% "
        "intervals are on the chart's hover and in the numbers table."
    )


UNLABELLED_ACCURACY = "The target is unlabelled, so target accuracy is unknown."
"""Said where the accuracy chart would be when no run's target is labelled (the Compare page, the report)."""
UNLABELLED_CARD = (
    "The target is unlabelled, so target accuracy is unknown: Compare ranks the pair's runs without labels "
    "(validators, negative-transfer alarms against the source-only model)."
)
"""A done run's card on an unlabelled target, where a labelled one shows its accuracy (the Adapt page)."""


def accuracies(results: Results) -> tuple[dict[str, float], dict[str, float]]:
    """``(adapted, source-only)`` target accuracy per run, for runs with a labelled target."""
    adapted, baseline = {}, {}
    for label, result in results.items():
        if result.get("target_accuracy") is not None and result.get("source_only_accuracy") is not None:
            adapted[label] = float(result["target_accuracy"])
            baseline[label] = float(result["source_only_accuracy"])
    return adapted, baseline


def accuracy_figure(results: Results) -> go.Figure:
    """:func:`tlcore.views.figures.accuracy_vs_baseline` of the runs with a labelled target, with the
    counts of their target test samples (:func:`n_target_test`) and their paired tests
    (:func:`paired_change`)."""
    tested = {label: n_target_test(result) for label, result in results.items()}
    paired = {label: paired_change(result) for label, result in results.items()}
    return figures.accuracy_vs_baseline(*accuracies(results), tested=tested, paired=paired)


def negative_transfer(results: Results) -> list[str]:
    """Labels of runs whose target accuracy fell below the source-only model's, by the rule the
    accuracy chart and the alarm's verdict share (:func:`tlcore.metrics.accuracy_change.fell`)."""
    adapted, baseline = accuracies(results)
    return [label for label in adapted if fell(adapted[label], baseline[label])]


def within_chance(result: Mapping[str, Any]) -> bool:
    """Whether the run's stored paired test says its target accuracy change is within chance (False
    when it stored none or the change does not show): :func:`tlcore.metrics.mcnemar.shown_within_chance`."""
    target, base = result.get("target_accuracy"), result.get("source_only_accuracy")
    if target is None or base is None:
        return False
    return shown_within_chance(float(target), float(base), paired_change(result))


def negative_transfer_line(label: str, result: Mapping[str, Any]) -> str:
    """The sentence of one run of :func:`negative_transfer`, with its paired test: ``Negative transfer:
    ...`` when the test is beyond chance (or was not stored), else that the fall is within chance. The run
    is named as the ranking table names it (:func:`~tlcore.views.run_names.short_label`)."""
    name = short_label(label)
    change = described_change(
        result["target_accuracy"], result["source_only_accuracy"], paired_change(result)
    )
    if within_chance(result):
        return (
            f"Within chance: {name} is less accurate on the target than the source-only model, "
            f"{change}; two equally good models differ this much by chance, so this is no evidence "
            "of negative transfer."
        )
    return f"Negative transfer: {name} is less accurate on the target than the source-only model, {change}."


# summary_rows' shares, written as percents by the report and the Compare page's table alike
PERCENT_COLUMNS = ("target_accuracy", "source_only_accuracy", "difference", "source_accuracy")


def summary_rows(results: Results) -> list[dict[str, Any]]:
    """One row per run: accuracies (with the counts of right target test samples behind them and the
    95% interval of the adapted one), their difference with its paired test (``right_to_wrong``,
    ``wrong_to_right``, ``mcnemar_p``: :mod:`tlcore.metrics.mcnemar`, None when not stored), the gap
    before and after, how long it trained (:func:`training_length`), its ``seconds`` and ``load_seconds``:
    the CSV download."""
    rows = []
    for label, result in results.items():
        config = result.get("config", {})
        target, source_only = counted_accuracies(result).values()
        paired = paired_change(result)
        row: dict[str, Any] = {
            "run": label,
            "methods": "+".join(config.get("methods", [])),
            "source": config.get("source", ""),
            "target": config.get("target", ""),
            **training_length(result),
            "target_accuracy": result.get("target_accuracy"),
            "target_correct": target and target.count_text(),
            "target_accuracy_95ci": target and target.interval_text(),
            "source_only_accuracy": result.get("source_only_accuracy"),
            "source_only_correct": source_only and source_only.count_text(),
            "difference": accuracy_change(result),
            "right_to_wrong": paired and paired.b,
            "wrong_to_right": paired and paired.c,
            "mcnemar_p": paired and paired.p_value,
            "source_accuracy": result.get("source_accuracy"),
        }
        for key in GAP_METRICS:
            row[f"{key}_before"] = (result.get("gap_before") or {}).get(key)
            row[f"{key}_after"] = (result.get("gap_after") or {}).get(key)
        row["seconds"] = result.get("seconds")
        row["load_seconds"] = result.get("load_seconds")  # None: stored before runs kept it
        rows.append(row)
    return rows


SUMMARY_GLANCE = (
    "run",
    "target_accuracy",
    "source_only_accuracy",
    "difference",
    "source_accuracy",
    "seconds",
)
"""The numbers table's columns Compare shows at a glance (:func:`summary_order`)."""


def summary_order(rows: Sequence[Mapping[str, Any]], *, every: bool = False) -> list[str]:
    """The Compare page's order of :func:`summary_rows`' columns: at a glance, each run's target accuracy
    beside its source-only model's, their difference, its source accuracy and its seconds
    (:data:`SUMMARY_GLANCE`), those no row knows left out (an unlabelled target's accuracies), so the
    table fits a 1024 px window (QA helper-232: its 27 columns were 3168 px in a 562 px table); with
    ``every``, each column of the CSV in its order (:func:`metrics_csv`)."""
    present = list(dict.fromkeys(key for row in rows for key in row))
    if every:
        return present
    return [c for c in SUMMARY_GLANCE if c == "run" or any(row.get(c) is not None for row in rows)]


# the ranking's columns as the CSV names them: its validators by name (source accuracy is the summary's)
_RANKED_NAMES = {v.label: v.name for v in VALIDATORS.values() if v.name != "source_accuracy"}
_RANKED_NAMES |= {"rank": "rank", "setup": "setup", "status": "status", "ESS": "ess"}
_RANKED_NAMES |= {"classes": "effective_classes", "alarm": "alarm_reasons"}


def ranked_columns(ranked: Ranking, labels: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """``{run label: its label-free ranking cells}``: rank, status, every validator, the ESS, the
    effective classes and the alarm's reasons (:func:`~tlcore.views.ranking.ranking_rows`), what decides
    a run without target labels; ``labels``: run id -> label, as the results are keyed."""
    rows = ranking_view.ranking_rows(ranked, labels, advanced=True)  # in the ranking table's order
    return {row["run"]: {_RANKED_NAMES[k]: v for k, v in row.items() if k in _RANKED_NAMES} for row in rows}


def metrics_csv(
    results: Results, ranked: Ranking | None = None, labels: Mapping[str, str] | None = None
) -> str:
    """:func:`summary_rows` as CSV text, each run's :func:`ranked_columns` after its own when ``ranked``
    is given (an unlabelled target's CSV held empty accuracies and nothing to choose a run by)."""
    rows = summary_rows(results)
    if ranked is not None:
        cells = ranked_columns(ranked, labels or {})
        blank = dict.fromkeys(next(iter(cells.values()), {}))  # a run the ranking left out
        rows = [row | cells.get(row["run"], blank) for row in rows]
    buffer = io.StringIO()
    pd.DataFrame(rows).to_csv(buffer, index=False)
    return buffer.getvalue()


def umap_figures(result: Mapping[str, Any], colour_by: str = "domain") -> tuple[go.Figure, go.Figure]:
    """Before / after UMAP of one run with the same colours (``colour_by``: domain, label, prediction)."""
    classes = list((result.get("umap_before") or {}).get("classes", []))
    colours = (
        figures.DOMAIN_COLOURS
        if colour_by == "domain"
        else figures.colour_map([*classes, explore.UNLABELLED])
    )
    out = []
    for key, title in (("umap_before", "Before: source-only model"), ("umap_after", "After adaptation")):
        points = explore.result_points(result[key])
        out.append(
            umap_figure.umap_scatter(
                points[["x", "y"]].to_numpy(),
                points[colour_by].tolist(),
                colours=colours,
                symbols=None if colour_by == "domain" else points["domain"].tolist(),
                title=title,
                height=420,
            )
        )
    return out[0], out[1]


def confusion_figure(label: str, result: Mapping[str, Any], lines: int | None = None) -> go.Figure | None:
    """:func:`confusion_table` as a row-normalised heatmap (None when the target is unlabelled), titled
    with the run as the ranking table names it, ``lines`` lines kept for its title (default: as many as
    it takes; :func:`~tlcore.views.class_figures.confusion_heatmap`)."""
    table = confusion_table(result)
    if table is None:
        return None
    rows, classes, matrix = table
    return class_figures.confusion_heatmap(matrix, classes, confusion_title(label), rows=rows, lines=lines)


def confusion_title(label: str) -> str:
    """A run's confusion matrix's title: the run as the ranking table names it."""
    return f"Confusion: {short_label(label)}"


def confusion_figures(results: Results, shown: Sequence[str]) -> dict[str, go.Figure]:
    """``{label: confusion_figure}`` of the ``shown`` runs with a labelled target; matrices sharing a row
    (:func:`confusion_columns`) keep the lines of the longest of their titles for each, so their plots
    line up, and one a row keeps its own title's."""
    labelled = [label for label in shown if confusion_table(results[label]) is not None]
    lines = max((len(class_figures.title_lines(confusion_title(label))) for label in labelled), default=1)
    together = confusion_columns(results, shown) > 1  # as the page lays them out
    return {label: confusion_figure(label, results[label], lines if together else None) for label in labelled}


def confusion_columns(results: Results, shown: Sequence[str]) -> int:
    """How many of the ``shown`` runs' confusion matrices share a row: all of them up to
    :data:`~tlcore.views.class_figures.SIDE_BY_SIDE` classes, else one a row at the page's width
    (QA: three side by side at 30 classes were 55 px wide each)."""
    classes = max((len(results[label].get("per_class_accuracy") or {}) for label in shown), default=0)
    return max(len(shown), 1) if classes <= class_figures.SIDE_BY_SIDE else 1


def per_class_figure(results: Results) -> go.Figure | None:
    """:func:`class_accuracies` of every run, grouped bars or, of many runs, a heatmap with the
    source-only runs marked (None when no run has a labelled target)."""
    data = {label: class_accuracies(r) for label, r in results.items() if r.get("per_class_accuracy")}
    baselines = [label for label in data if is_source_only(results[label])]
    return class_figures.per_class_accuracy(data, marked=baselines) if any(data.values()) else None


def comparison_report(
    results: Results,
    title: str = "tlstudio comparison",
    *,
    ranked: Ranking | None = None,
    labels: Mapping[str, str] | None = None,
    moved: Sequence[tuple[RunChanges, Domain | None]] = (),
    shell: bool = False,
    workspace: str | None = None,
) -> str:
    """A self-contained HTML report of the runs: the label-free ranking and alarms (when given),
    table, flags (runs scored on source training samples, negative transfer), accuracy, gap, where the
    predictions moved (``moved``: each run's changes and the target samples they cover, or None),
    UMAPs, confusions; its commands carry ``--workspace workspace`` when given, and its ranking's caveat
    names the ``predict`` command for the ``shell`` (``runs rank --report``), else the Predict page."""
    inflated = inflated_line(results, labels, workspace=workspace)
    flags = [line for line in (inflated, unchecked_line(results, labels)) if line]
    flags += [negative_transfer_line(label, results[label]) for label in negative_transfer(results)]
    pairs = sorted({f"{r['config']['source']} → {r['config']['target']}" for r in results.values()})
    sections = []
    if ranked is not None:
        sections += ranking_view.report_sections(ranked, labels or {}, shell=shell, workspace=workspace)
    rows = [row | {"run": short_label(row["run"])} for row in summary_rows(results)]  # as the ranking's
    whole = {"run": cut_names({label: label for label in results})}  # a cut label whole on hover
    runs = Section("Runs", table=rows, flags=flags, percent_columns=PERCENT_COLUMNS, titles=whole)
    sections.append(runs)
    if accuracies(results)[0]:
        sections.append(
            Section("Target accuracy", note=small_test_note(results) or "", figure=accuracy_figure(results))
        )
    else:  # said, as the page says it: a report with no such section left the reader to guess why
        sections.append(Section("Target accuracy", note=UNLABELLED_ACCURACY))
    sections.append(Section("Domain gap", note=gap_disagreement(results) or "", figure=gap_figure(results)))
    sections += [changes.report_section(run, target, short_labels(labels or {})) for run, target in moved]
    for label, result in results.items():
        if result.get("umap_before") and result.get("umap_after"):
            before, after = umap_figures(result)
            sections += [Section(f"UMAP of {short_label(label)}", figure=before), Section("", figure=after)]
        confusion = confusion_figure(label, result)
        if confusion is not None:
            sections.append(Section(f"Confusion matrix of {short_label(label)}", figure=confusion))
    per_class = per_class_figure(results)
    if per_class is not None:
        sections.append(Section("Per-class target accuracy", figure=per_class))
    return render_report(title, "Pairs: " + "; ".join(pairs), sections)
