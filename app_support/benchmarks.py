"""What the committed benchmark measured for a recipe, for the app to quote (docs/benchmarks.json).

A quote is given only when the benchmark ran the recipe with the very budget the app launches, so
the number next to a button is the number that button's settings reached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tlcore.adapt.recipe import Recipe

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.json"
BUDGET_KEYS = ("epochs", "batch_size", "lr")


def recipe_quote(recipe: Recipe, path: Path = BENCHMARKS) -> list[str]:
    """One line per benchmarked task, e.g. ``97.0 ± 0.9% on mnist5k → digits (3 seeds)``; empty when
    the file is missing or measured the recipe with another budget."""
    try:
        accuracy: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["accuracy"]
    except (OSError, ValueError, KeyError):
        return []
    config = recipe.config("source", "target").to_dict()
    if any(accuracy.get(key) != config[key] for key in BUDGET_KEYS):
        return []
    lines = []
    for task in accuracy.get("tasks", []):
        row = task.get("recipes", {}).get(recipe.label)
        if row and row.get("mean") is not None:
            seeds = len(row.get("runs", []))
            lines.append(
                f"{100 * row['mean']:.1f} ± {100 * (row.get('std') or 0):.1f}% on "
                f"{task['source']} → {task['target']} ({seeds} seeds)"
            )
    return lines
