"""``python -m tlcore runs show ID``: one run from the shell (the other ``runs`` actions: :mod:`.stores`,
:mod:`.rank`, :mod:`.changes`)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from tlcore.adapt.config import format_value as cli_value
from tlcore.adapt.stored_params import resolved_text
from tlcore.cli import rank
from tlcore.cli.output import (
    clipped,
    column_blocks,
    display_width,
    print_json,
    prose_width,
    text_table,
    wrapped,
)
from tlcore.cli.stores import (
    RUN_ID_HELP,
    format_value,
    headline_lines,
    outliving_worker,
    run_store,
    source_accuracy_lines,
    unlabelled_next,
)
from tlcore.data.overlap import for_workspace
from tlcore.events import progress_words
from tlcore.metrics.mcnemar import described_change
from tlcore.metrics.proportion import CountedAccuracy
from tlcore.numbers import plural
from tlcore.runs.blank_target import run_blank_warning
from tlcore.runs.one_class import run_one_class_warning
from tlcore.runs.process_stop import worker_still_runs
from tlcore.runs.record import RunRecord
from tlcore.runs.result_file import RESULT_FILE
from tlcore.runs.run_files import CHECKPOINT_FILE, HISTORY_FILE, LOG_FILE, PREDICTIONS_FILE
from tlcore.runs.store import RunStore
from tlcore.views import run_tables

Confusion = tuple[list[str], list[str], np.ndarray]  # :func:`tlcore.views.run_tables.confusion_table`


def register(parser: argparse.ArgumentParser) -> None:
    """Add ``runs show``'s arguments."""
    parser.add_argument("run_id", metavar="ID", help=RUN_ID_HELP)
    parser.add_argument(
        "--history",
        action="store_true",
        help="also the learning curves: one row per epoch of both stages (the Adapt page's curves)",
    )
    parser.add_argument("--json", action="store_true", help="JSON object on stdout")
    parser.set_defaults(handler=show_run)


def show_run(args: argparse.Namespace) -> int:
    store = run_store(args)
    record = store.close_if_stale(store.get(args.run_id))
    details = {
        **record.to_dict(),
        "ended": _ended_early(store, record),  # first: a done run's damaged result file is an error
        "history_events": len(store.history(record.id)),
        "worker_still_runs": worker_still_runs(record),  # a worker that outlives the run: its pid
        "artifacts": {
            name: str(record.folder / name) if (record.folder / name).is_file() else None
            for name in (RESULT_FILE, CHECKPOINT_FILE, PREDICTIONS_FILE, HISTORY_FILE, LOG_FILE)
        },
    }
    details["alarm"], alarm_text = rank.show_alarm(store, record)
    details["blank"] = run_blank_warning(store, record)  # as predict and runs rank warn
    details["older_version"] = run_tables.older_version_text(record.config, record.resolved_params)
    result = store.result_of(record) if record.status == "done" else {}
    details["one_class_warning"] = run_one_class_warning(record.folder, result) if result else None
    accuracy, confusion = run_tables.class_accuracies(result), run_tables.confusion_table(result)
    details["per_class_accuracy"] = accuracy or None
    details["confusion"] = (
        None
        if confusion is None
        else {"true": confusion[0], "predicted": confusion[1], "counts": confusion[2].tolist()}
    )
    curves = run_tables.curve_rows(store.history(record.id, kinds={"epoch"}), result or None)
    details["learning_curves"] = curves
    details["trained"] = run_tables.training_length(result) if result else None
    counts = run_tables.counted_accuracies(result)
    details["target_test_counts"] = {key: c.to_dict() for key, c in counts.items() if c is not None} or None
    details["gap_measured_on"] = run_tables.gap_samples(result.get("gap_before"))
    change = paired_test(result)
    details["paired_test"] = change and {**change[0], "text": change[1]}
    if "shared_samples" in result:  # null: the pair shares none; absent: not recorded (older, or not done)
        shared = result["shared_samples"]  # stored without a workspace: its command given this one's
        details["shared_samples"] = shared and for_workspace(shared, args.workspace)
    if args.json:
        print_json(details)
        return 0
    lines = wrapped(f"{record.status}" + (f" ({record.error})" if record.error else ""), f"run {record.id}: ")
    lines += wrapped(
        f"{record.method} on {record.source} -> {record.target}, created {_when(record.created)}", "  "
    )
    if record.active:
        doing = progress_words(record.stage, record.message)
        lines += wrapped(f"{record.progress:.0%}, {doing}", "  progress ")
    source = source_accuracy_lines(result)
    lines += _headline_lines(record, counts, change, details["gap_measured_on"], source)
    if shared := details.get("shared_samples"):  # the line adapt printed, the fix with it
        lines += wrapped(shared["text"], "  shared   ")
    lines += _setup_lines(record, result)
    lines += wrapped(plural(details["history_events"], "event"), "  history  ")
    if details["ended"]:
        lines += wrapped(details["ended"], "  ended    ")
    for i, line in enumerate(alarm_text):
        lines += wrapped(line, f"  {'alarm' if i == 0 else '':<8} ")
    for warning in (details["blank"], details["one_class_warning"], outliving_worker(record, args.workspace)):
        if warning:
            lines += wrapped(warning, "  warning  ")
    lines += unlabelled_next(record.source, record.target, result, args.workspace, "  next     ")  # as adapt
    print("\n".join(lines))
    for name, path in details["artifacts"].items():
        if path is not None:
            print(f"  {name:<16} {path}")
    if confusion is not None:
        print("\n".join(["", *class_lines(accuracy, confusion), "", *confusion_lines(confusion)]))
    if args.history:
        print("\n".join(["", *curve_lines(curves)]))
    return 0


def _headline_lines(
    record: RunRecord,
    counts: dict[str, CountedAccuracy | None],
    change: tuple[dict[str, Any], str] | None,
    gap_measured_on: str | None,
    source: list[str],
) -> list[str]:
    """The run's headline numbers, each accuracy with the count of target test samples behind it, the
    change against source-only and the ``source`` accuracy's lines after them, what the gaps were
    measured on after the gaps."""
    lines = []
    for key, value in record.headline.items():
        counted = counts.get(key)
        lines += headline_lines(key, value, f" ({counted.detail()})" if counted else "")
        if key == "source_only_accuracy":
            lines += (wrapped(change[1], f"  {'change':<22} ") if change else []) + source
        if key == "gap_after" and gap_measured_on:
            lines += wrapped(f"gaps measured on the run's held-out splits: {gap_measured_on}", "    ")
    return lines


def _setup_lines(record: RunRecord, result: dict[str, Any]) -> list[str]:
    """The run's config and, once done, how long it trained by stage (the Compare table's columns);
    ``augment`` said not to apply to a done run of feature vectors (the loop's random affine moves
    images only, :mod:`tlcore.training.loop`; the stored config and its baseline key keep it: QA
    helper-142 read ``augment=True`` for a table)."""
    shape = ((result.get("info") or {}).get("model") or {}).get("input_shape") or ()
    unused = {"augment": " (images only: not applied to feature vectors)"} if len(shape) == 1 else {}
    said = [
        f"{key}: {value}{unused.get(key, '') if value == 'on' else ''}"
        for key, value in config_items(record.config)
    ]
    config = [
        line for i, item in enumerate(said) for line in wrapped(item, "  config   " if i == 0 else " " * 11)
    ]
    if built := resolved_text(record.resolved_params):  # every method parameter, defaults included
        config += wrapped(f"{built} (the given values and the methods' defaults)", "  methods  ")
    # QA helper-157: an older version's run; one trained under method defaults since changed
    if older := run_tables.older_version_text(record.config, record.resolved_params):
        config += wrapped(older, "  older    ")
    return [*config, *wrapped(run_tables.training_text(result), "  trained  ")] if result else config


def config_items(config: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A run's config as ``(key, value)`` pairs to read (CLI audit: ``runs show`` printed its Python
    repr, ``methods=['dann'], params={}, image_size=None``): a nested part by dotted keys
    (``params.dann.weight: 0.5``), an empty one ``none``; a list its items, None ``not set``, a flag
    ``on`` or ``off``, a number as the CLI takes it (:func:`~tlcore.adapt.config.format_value`)."""
    items: list[tuple[str, str]] = []
    for key, value in config.items():
        if isinstance(value, Mapping) and value:
            items += config_items(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", _setting(value)))
    return items


def _setting(value: Any) -> str:
    """One value of :func:`config_items`."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, Mapping):
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(map(_setting, value))
    return cli_value(value)


def paired_test(result: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """The target accuracy's change against the source-only model with its McNemar test
    (:func:`tlcore.metrics.mcnemar.described_change`): the test's dict (``{"stored": False}`` for a run
    older than it) and ``target accuracy fell 3.3 points against source-only (...)``; None without
    target accuracies."""
    after, before = result.get("target_accuracy"), result.get("source_only_accuracy")
    if after is None or before is None:
        return None
    paired = run_tables.paired_change(result)
    stored = (
        {"stored": False}
        if paired is None
        else {"stored": True, **paired.to_dict(), "within_chance": paired.within_chance}
    )
    return stored, "target accuracy " + described_change(after, before, paired, "against source-only")


def class_lines(accuracy: dict[str, float], confusion: Confusion) -> list[str]:
    """Per-class target accuracy (:func:`tlcore.views.run_tables.class_accuracies`, the Compare page's
    bars) beside each class's test samples (its row of the confusion counts)."""
    rows, _, matrix = confusion
    cells = [
        (name, int(counts.sum()), f"{accuracy[name]:.1%}") for name, counts in zip(rows, matrix, strict=True)
    ]
    table = text_table(("class", "samples", "accuracy"), cells, right=(2,))
    return [
        f"  per-class target accuracy ({int(matrix.sum())} target test samples)",
        *(f"    {x}" for x in table),
    ]


def confusion_lines(confusion: Confusion) -> list[str]:
    """The confusion counts (:func:`tlcore.views.run_tables.confusion_table`, the Compare page's matrix):
    rows = true class, columns = predicted, headed by the class names when the table fits the terminal
    (:func:`~tlcore.cli.output.prose_width`), else by each class's number (the rows' ``#``; a predicted
    class with no row is named below) in blocks of columns that each fit it."""
    rows, classes, matrix = confusion
    counts = [[int(n) for n in line] for line in matrix]
    columns = range(1, len(classes) + 1)
    named = text_table(
        ["true", *classes], [[n, *c] for n, c in zip(rows, counts, strict=True)], right=columns
    )
    if max(map(display_width, named)) + 4 <= prose_width():
        return [
            "  confusion on the target test split (rows: true class, columns: predicted)",
            *(f"    {x}" for x in named),
        ]
    number = {name: i for i, name in enumerate(classes)}
    blocks = column_blocks(
        [max(len(str(j)), *(len(str(c[j])) for c in counts)) for j in range(len(classes))],
        4 + len(str(len(classes) - 1)) + 2 + max(display_width(clipped(n)) for n in ["true", *rows]),
        prose_width(),
    )
    title = "confusion on the target test split (rows: true class, columns: predicted class by its # number"
    lines = wrapped(title + (")" if len(blocks) == 1 else f"; {len(blocks)} blocks)"), "  ")
    for i, block in enumerate(blocks):
        header = ["#", "true", *map(str, block)]
        cells = [[number[n], n, *(c[j] for j in block)] for n, c in zip(rows, counts, strict=True)]
        table = text_table(header, cells, right=[0, *range(2, len(header))])
        lines += [*([""] if i else []), *(f"    {x}" for x in table)]
    if unseen := [f"{number[c]} {clipped(c)}" for c in classes if c not in rows]:
        lines.append(f"    predicted classes with no target test sample: {', '.join(unseen)}")
    return lines


def curve_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The learning curves (:func:`tlcore.views.run_tables.curve_rows`) as a table of the curves the
    Adapt page draws (:data:`tlcore.views.run_tables.CURVE_KEYS`), each column as wide as its widest
    cell, and what the final row's model is said under it (CLI audit: beside the row, 107 columns);
    ``--json`` carries every column."""
    if not rows:
        return ["  learning curves: no epoch finished yet"]
    keys = [k for k in run_tables.CURVE_KEYS if any(k in row for row in rows)]
    cells = [[int(row["epoch"]), row["stage"], *(format_value(row.get(k)) for k in keys)] for row in rows]
    table = text_table(["epoch", "stage", *keys], cells, right=range(2, len(keys) + 2))
    lines = ["  learning curves (epochs numbered through both stages)", *(f"    {x}" for x in table)]
    for row in rows:
        if "label" in row:  # a done run's final model (curve_rows): what its headline scores
            said = f"the {row['label']}, whose accuracies the headline above gives"
            lines += wrapped(said, f"    {row['stage']}: ")
    return lines


def _ended_early(store: RunStore, record: RunRecord) -> str:
    """Why a done run's training ended before its last epoch (settled, early stopping); "" otherwise.
    A done run whose result file is missing or damaged →
    :class:`~tlcore.runs.result_file.UnreadableResultError`."""
    if record.status != "done":
        return ""
    return str(store.result_of(record).get("reason") or "")


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
