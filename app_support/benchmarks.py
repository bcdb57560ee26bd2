"""What the committed benchmark measured for a recipe, for the app to quote (docs/benchmarks.json).

A quote is given only for a task where the benchmark ran the recipe by its name with the very config
the app launches (every field but the seed) on the network that config builds today (``auto`` is
resolved, so rows measured before the engine's default network changed are not quoted), so the
number next to a button is the number that button's settings reached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from tlcore.adapt.config import ADDED_FIELDS
from tlcore.adapt.recipe import Recipe
from tlcore.models import resolve_model_name

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.json"


def recipe_quote(recipe: Recipe, path: Path = BENCHMARKS) -> list[str]:
    """One line per benchmarked task, e.g. ``97.0 ± 0.9% on mnist5k → digits (3 seeds)``; empty when
    the file is missing or measured the recipe with other settings. Read again only when the file
    changes (its size or modification time): reading and matching its 0.7 MB took 28 ms a page run."""
    try:
        stamp = path.stat()
    except OSError:
        return []
    return _quotes(recipe, str(path), (stamp.st_mtime_ns, stamp.st_size))


@st.cache_data(max_entries=8, show_spinner=False)
def _quotes(recipe: Recipe, path: str, stamp: tuple[int, int]) -> list[str]:
    """:func:`recipe_quote` from the file ``path`` as of ``stamp``."""
    try:
        accuracy: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))["accuracy"]
    except (OSError, ValueError, KeyError):
        return []
    lines = []
    for task in accuracy.get("tasks", []):
        row = task.get("recipes", {}).get(recipe.name)
        if row and row.get("mean") is not None and _launched_as(recipe, task, row):
            seeds = len(row.get("runs", []))
            lines.append(
                f"{100 * row['mean']:.1f} ± {100 * (row.get('std') or 0):.1f}% on "
                f"{task['source']} → {task['target']} ({seeds} seeds)"
            )
    return lines


def _launched_as(recipe: Recipe, task: dict[str, Any], row: dict[str, Any]) -> bool:
    """Whether ``row``'s runs had the config the app launches on ``task``'s pair, on its network."""
    launched = recipe.config(task["source"], task["target"]).to_dict()
    launched.pop("seed")
    networks = [run.get("network") or {} for run in row.get("runs", [])]
    names = {network.get("name") for network in networks}
    if not networks or len(names) != 1 or not networks[0].get("input_shape"):
        return False
    builds = resolve_model_name(launched.pop("model"), tuple(networks[0]["input_shape"]))
    measured = dict.fromkeys(ADDED_FIELDS) | dict(row.get("config") or {})  # recorded before: unset
    measured.pop("model", None)
    return measured == launched and names == {builds}
