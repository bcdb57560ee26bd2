"""``--update``: merge one run's parts into the committed ``benchmarks.json``.

The parts a run measures replace the earlier ones, the rest are kept. The accuracy part merges row
by row: a run of some tasks and rows (methods, recipes, fine-tuning) with the same seeds and budget
as the earlier report replaces those rows and keeps the others (the throughput table is derived
again from all of them), so the long suite can be measured a piece at a time. Each run is listed
under ``updates`` (command, parts, date, seconds, machine load, and the accuracy rows it measured);
an earlier line is dropped once nothing it measured is left in the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import speed_training
from bench.parts import PART_KEYS

SHARED_SETTINGS = ("seeds", "epochs", "batch_size", "lr")  # must agree for accuracy tasks to merge


def task_key(task: dict[str, Any]) -> tuple[str, str, str | None]:
    """A task is its pair and the network its rows ran on (``bench --model``: beside the default's)."""
    return task["source"], task["target"], task.get("model")


ROWS = ("methods", "recipes", "few_shot", "recipe_labels")  # a task's rows, merged by name


def merge_task(earlier: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``new``'s rows of one task over ``earlier``'s (methods, recipes, labelled rows by name; the
    oracle when ``new`` has none); with whether any earlier row was kept."""
    merged = dict(new)
    kept = False
    for rows in ROWS:
        before, now = earlier.get(rows, {}), new.get(rows, {})
        merged[rows] = before | now  # rows keep their places; new ones come last
        kept = kept or bool(before.keys() - now.keys())
    if not new.get("oracle") and earlier.get("oracle"):
        merged["oracle"], kept = earlier["oracle"], True
    return merged, kept


def merge_accuracy(earlier: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``earlier``'s tasks (in their order) with ``new``'s rows merged in (:func:`merge_task`), then
    ``new``'s other tasks, when both share :data:`SHARED_SETTINGS`; with whether anything of
    ``earlier`` was kept."""
    if any(earlier.get(k) != new.get(k) for k in SHARED_SETTINGS):
        return new, False
    tasks = {task_key(t): t for t in earlier.get("tasks", [])}
    kept = len(tasks) > len({task_key(t) for t in new.get("tasks", [])} & set(tasks))
    for task in new.get("tasks", []):
        key = task_key(task)
        if key in tasks:
            tasks[key], rows_kept = merge_task(tasks[key], task)
            kept = kept or rows_kept
        else:
            tasks[key] = task
    return new | {"tasks": list(tasks.values())}, kept


def accuracy_rows(accuracy: dict[str, Any]) -> list[list[Any]]:
    """Every row an accuracy part holds, as ``[source, target, model, kind, name]`` (kind: one of
    :data:`ROWS`, or ``"oracle"``)."""
    rows = []
    for task in accuracy.get("tasks", []):
        for kind in ROWS:
            rows += [[*task_key(task), kind, name] for name in task.get(kind, {})]
        if task.get("oracle"):
            rows.append([*task_key(task), "oracle", task["oracle"]["name"]])
    return rows


def still_measures(
    update: dict[str, Any], parts: set[str], rows: list[list[Any]] | None
) -> dict[str, Any] | None:
    """An earlier ``update`` line after a run of ``parts``: the parts it still stands behind (its
    accuracy rows that run measured again struck off; ``rows=None``: no earlier accuracy row is
    left), or None when none is left. A line from before rows were recorded keeps its accuracy part
    until the whole part is replaced."""
    live = [part for part in update["parts"] if part not in parts]
    if "accuracy" not in update["parts"] or "accuracy" not in parts or rows is None:
        line = update
    elif "rows" not in update:
        line, live = update, [*live, "accuracy"]
    else:
        line = update | {"rows": [row for row in update["rows"] if row not in rows]}
        live += ["accuracy"] if line["rows"] else []
    return line | {"parts": sorted(live)} if live else None


def merge_into(path: Path, results: dict[str, Any], parts: set[str]) -> dict[str, Any]:
    """The earlier results at ``path`` with this run's parts replaced (the accuracy part per task,
    :func:`merge_accuracy`); this run is listed under ``updates`` and the earlier head is kept."""
    if not path.is_file():
        return results
    earlier = json.loads(path.read_text())
    ran = {key for part in parts for key in PART_KEYS.get(part, ())}
    replaced = {key: results[key] for key in ran if key in results}
    update = {
        "command": results["command"],
        "parts": sorted(parts),
        "date": results["machine"]["date"],
        "seconds": results["seconds"],
        "load": [results["machine"]["load_start"], results["load_end"]],
        "cpu": results["machine"]["cpu"],  # floating-point rounding, and so accuracies, differ across CPUs
    }
    rows: list[list[Any]] | None = None
    if "accuracy" in replaced:
        rows = update["rows"] = accuracy_rows(replaced["accuracy"])
    if "accuracy" in replaced and earlier.get("accuracy"):
        replaced["accuracy"], kept = merge_accuracy(earlier["accuracy"], replaced["accuracy"])
        replaced["throughput"] = speed_training.throughput(replaced["accuracy"])  # of every kept task
        rows = rows if kept else None
    updates = [
        line
        for u in earlier.get("updates", [])
        if u["command"] != update["command"] and (line := still_measures(u, parts, rows)) is not None
    ]
    timings = earlier.get("part_seconds", {}) | results.get("part_seconds", {})
    return earlier | replaced | {"updates": [*updates, update], "part_seconds": timings}
