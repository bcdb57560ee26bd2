"""Compare's numbers table and downloads: each run's accuracies, their change and its seconds (every
column of the metrics CSV on request), the metrics CSV, the HTML report and the picked run's checkpoint;
its column configs, the ranking table's accuracies too (:mod:`app_support.compare_ranking`)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_support import display, engine, moves, state
from tlcore.metrics.gap_names import GAP_METRICS
from tlcore.selection.ranking import Ranking
from tlcore.views import compare, run_names
from tlcore.views.report import UNKNOWN

ON_TARGET = f"on the target's held-out test split; {UNKNOWN} when the run's target has no labels"
PAIRED = f"{UNKNOWN} when the target has no labels or the run is older than the paired test"
GAP = st.column_config.NumberColumn(format="%.3g")
SHARES = {  # short headers, so the numbers table's columns at a glance fit a 1024 px window (QA)
    "target_accuracy": ("target acc", f"adapted model; {ON_TARGET}"),
    "source_only_accuracy": ("source-only", f"the source-only model; {ON_TARGET}"),
    "difference": ("change", f"target accuracy minus source-only's; {ON_TARGET}"),
    "source_accuracy": ("source acc", "adapted model, on the source's held-out validation split"),
}
COLUMNS = {
    **{  # the columns the report writes as percents too
        name: {**display.PERCENT, "label": SHARES[name][0], "help": SHARES[name][1]}
        for name in compare.PERCENT_COLUMNS
    },
    "target_correct": st.column_config.TextColumn(help=f"right of the target test samples; {ON_TARGET}"),
    "target_accuracy_95ci": st.column_config.TextColumn(
        help="95% Wilson score interval of the target accuracy: where the accuracy on all such target "
        "samples lies, given the test split's count"
    ),
    "source_only_correct": st.column_config.TextColumn(help=f"the source-only model; {ON_TARGET}"),
    "right_to_wrong": st.column_config.NumberColumn(
        help=f"target test samples the source-only model gets right and the adapted one wrong; {PAIRED}"
    ),
    "wrong_to_right": st.column_config.NumberColumn(
        help=f"target test samples the source-only model gets wrong and the adapted one right; {PAIRED}"
    ),
    "mcnemar_p": st.column_config.NumberColumn(
        format="%.2g",
        help="exact McNemar test of the adapted against the source-only model on the same target test "
        f"samples: at 0.05 or above, the difference is within chance; {PAIRED}",
    ),
    "seconds": st.column_config.NumberColumn(
        format="%.0f", help="seconds the run trained and evaluated, data in hand (loading it: load_seconds)"
    ),
    "load_seconds": st.column_config.NumberColumn(format="%.1f"),
    **{f"{metric}_{when}": GAP for metric in GAP_METRICS for when in ("before", "after")},
}


def numbers_and_downloads(
    results: dict[str, dict[str, Any]],
    chosen: list[str],
    labels: dict[str, str],
    ranked: Ranking | None,
    run_id: str,
) -> None:
    """The section "Numbers and downloads" of the ``chosen`` runs' ``results`` (keyed by label), each run
    named as the ranking table names it, whole in the run column's help; the report holds ``ranked``, the
    checkpoint is ``run_id``'s (the run picked for the feature space)."""
    heading, toggle = st.columns([3, 1], vertical_alignment="bottom")
    heading.subheader("Numbers and downloads")
    every = toggle.toggle(  # off, the table fits a 1024 px window (QA: 27 columns, 3168 px in 562)
        "All numbers",
        key=state.form_default(state.COMPARE_ALL_NUMBERS, False),
        help="Off, the table shows each run's accuracies, their change and its seconds. On, every column "
        "of the CSV: the counts and 95% interval, the paired test, the gaps before and after, the epochs "
        "and the loading time; the table then scrolls sideways. The CSV also holds each run's ranking "
        "columns (rank, status, every validator, ESS, effective classes, the alarm's reasons).",
    )
    rows = compare.summary_rows(results)
    numbers = {
        **COLUMNS,
        "run": st.column_config.TextColumn(  # a recipe's methods cut, its id kept, as the ranking's
            pinned=True,
            width=display.text_width(run_names.short_label(row["run"]) for row in rows),
            help=display.esc(run_names.run_help(labels, chosen)),
        ),
    }
    summary = display.stepped([row | {"run": run_names.short_label(row["run"])} for row in rows], numbers)
    order = compare.summary_order(rows, every=every)
    st.dataframe(summary, hide_index=True, column_order=order, column_config=numbers, placeholder=UNKNOWN)
    left, middle, right = st.columns(3)
    middle.download_button(
        "Metrics (CSV)",
        compare.metrics_csv(results, ranked, labels),
        "tlstudio-metrics.csv",
        "text/csv",
        icon=":material/table:",
        on_click="ignore",  # see the report's button
    )
    right.download_button(
        "Report (HTML)",
        display.report_on_click(
            lambda: compare.comparison_report(
                results,
                ranked=ranked,
                labels=labels,
                moved=moves.moved(chosen),
                workspace=engine.command_workspace(),
            ),
            "the comparison report",
        ),
        "tlstudio-report.html",
        "text/html",
        icon=":material/description:",
        on_click="ignore",  # a rerun re-registered it: a click just after another download found nothing
    )
    checkpoint = engine.store().checkpoint_path(run_id)
    if checkpoint is not None:
        left.download_button(
            "Checkpoint",  # "Checkpoint of deep_coral · 84f06e" was cut in a third of the page (QA)
            checkpoint.read_bytes,
            f"{run_id}.pt",
            "application/octet-stream",
            icon=":material/download:",
            on_click="ignore",
            help=display.esc(f"The model of {labels[run_id]} ({run_id}.pt)"),
        )
