"""Which network a task's accuracy rows ran on, and whether the engine picks that network today.

The accuracy part can run a task on another network (``bench --model``); its rows then sit beside the
default network's, and the targets judge only the rows of the network a user gets by default
(:func:`tlcore.models.resolve_model_name` of ``auto`` for the task's input).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tlcore.models import resolve_model_name


def _runs(task: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in task.get("methods", {}).values():
        yield from entry["tlcore"]["runs"]
    for rows in (task.get("recipes", {}), task.get("few_shot", {}), task.get("recipe_labels", {})):
        for entry in rows.values():
            yield from entry.get("runs", [])
    yield from (task.get("oracle") or {}).get("runs", [])


def input_shape(task: dict[str, Any]) -> tuple[int, ...] | None:
    """One sample's shape, as the task's first run that built a network recorded it."""
    shapes = (tuple(run["network"]["input_shape"]) for run in _runs(task) if run.get("network"))
    return next(shapes, None)


def is_engine_default(task: dict[str, Any]) -> bool:
    """Whether the network ``task`` was measured on (its ``model``: the method rows' networks, joined
    when they differ) is the one ``auto`` resolves to for its input today."""
    shape = input_shape(task)
    return shape is not None and task.get("model") == resolve_model_name("auto", shape)


def default_tasks(accuracy: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks measured on the engine's default network (what the targets judge)."""
    return [task for task in accuracy.get("tasks", []) if is_engine_default(task)]


def recorded_network(part: dict[str, Any]) -> str:
    """The network a part's results name (``network``), in backticks; results from before parts
    recorded it were measured on plain ``lenet``, the default image network then."""
    return f"`{part.get('network') or 'lenet'}`"
