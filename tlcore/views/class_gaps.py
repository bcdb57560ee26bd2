"""The per-class gaps as the Diagnose page, the HTML report and ``diagnose`` show them: their heading,
table, how they were tested, and the bars (within chance lighter)."""

from __future__ import annotations

import plotly.graph_objects as go

from tlcore.diagnosis import GapReport
from tlcore.numbers import significant
from tlcore.views.figures import per_class_gap


def per_class_title(report: GapReport) -> str:
    """``Per-class gaps (predicted target labels)``: the per-class gaps' heading on the page, in the
    report and in ``diagnose``'s text, saying whose labels split the target (a model's predictions are
    no labels of the target), as the verdict says it (:attr:`~tlcore.diagnosis.GapReport.per_class_by`)."""
    return f"Per-class gaps ({report.per_class_by})"


NOT_MEASURED = "why not measured"  # the rows' column of a class's reason, when some class has one


def class_gap_rows(report: GapReport) -> list[dict[str, str | int]]:
    """One row per class: its MMD², permutation p-value, q-value across the classes, whether it is
    beyond chance, and its samples per side (``-`` for a class too small to measure); when some class
    was not measured, a :data:`NOT_MEASURED` column gives each its reason
    (:func:`~tlcore.metrics.per_class.too_few`; '' for a measured class)."""
    why = any(g["reason"] for g in report.per_class)
    return [
        {
            "class": g["name"],
            "MMD²": significant(g["mmd2"]),
            "p": significant(g.get("p_value")),
            "q": significant(g.get("q_value")),
            "beyond chance": "-" if g["mmd2"] is None else ("yes" if g.get("significant") else "no"),
            "source": g["n_source"],
            "target": g["n_target"],
        }
        | ({NOT_MEASURED: g["reason"] or ""} if why else {})
        for g in report.per_class
    ]


def unmeasured_note(report: GapReport) -> str:
    """The classes left out of the bars and why, those of one reason together: ``Not measured, so not
    in the bars: 2, 8, 9: predicted for no target sample.`` ('' when every class was);
    the page says it under its bars, as the report's table and ``diagnose``'s rows give each reason."""
    by_reason: dict[str, list[str]] = {}
    for g in report.per_class:
        if g["reason"]:
            by_reason.setdefault(g["reason"], []).append(g["name"])
    if not by_reason:
        return ""
    named = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in by_reason.items())
    return f"Not measured, so not in the bars: {named}."


def class_gap_note(report: GapReport) -> str:
    """How the per-class gaps were tested, in one sentence (the page, the report, ``diagnose``)."""
    settings, tested = report.class_settings, sum(g["mmd2"] is not None for g in report.per_class)
    return (
        f"Each class's MMD² is tested by {settings.n_permutations} permutations of its samples (the gap's "
        f"bandwidth); q adjusts the p-values across the {tested} classes measured (Benjamini-Hochberg), "
        f"and a class differs beyond chance at q ≤ {settings.fdr:g}."
    )


def class_gap_figure(report: GapReport) -> go.Figure | None:
    """The measured classes' MMD² as bars, those within chance lighter (None when none is measured)."""
    measured = [g for g in report.per_class if g["mmd2"] is not None]
    if not measured:
        return None
    return per_class_gap(
        {g["name"]: g["mmd2"] for g in measured},
        f"{per_class_title(report)}: class-conditional MMD²",
        q_values={g["name"]: g["q_value"] for g in measured},
        fdr=report.class_settings.fdr,
    )
