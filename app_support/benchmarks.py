"""What the committed benchmark measured for a recipe, for the app to quote (docs/benchmarks.json).

A quote is given only for a task where the benchmark ran the recipe by its name with the very config
the app launches (every field but the seed), so the number next to a button is the number that
button's settings reached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tlcore.adapt.recipe import Recipe

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.json"


def recipe_quote(recipe: Recipe, path: Path = BENCHMARKS) -> list[str]:
    """One line per benchmarked task, e.g. ``97.0 ± 0.9% on mnist5k → digits (3 seeds)``; empty when
    the file is missing or measured the recipe with other settings."""
    try:
        accuracy: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["accuracy"]
    except (OSError, ValueError, KeyError):
        return []
    lines = []
    for task in accuracy.get("tasks", []):
        row = task.get("recipes", {}).get(recipe.name)
        launched = recipe.config(task["source"], task["target"]).to_dict()
        launched.pop("seed")
        if row and row.get("mean") is not None and row.get("config") == launched:
            seeds = len(row.get("runs", []))
            lines.append(
                f"{100 * row['mean']:.1f} ± {100 * (row.get('std') or 0):.1f}% on "
                f"{task['source']} → {task['target']} ({seeds} seeds)"
            )
    return lines
