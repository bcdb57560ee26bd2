"""The report's section on a user's pool: a source-only run and the recommended recipe, ranked."""

from __future__ import annotations

from typing import Any

from bench.networks import recorded_network
from bench.report_format import num, pct, table
from bench.user_pools import CHOICES, MISSED
from tlcore.selection.settings import VALIDATORS


def _validator(row: dict[str, Any]) -> str:
    """The validator that ranked, and the one asked for where the outvoted ensemble set it aside."""
    ranked = VALIDATORS[row["validator"]].label
    return ranked + (f" (in {VALIDATORS[row['asked']].label}'s place)" if row["asked"] else "")


def user_pools_section(up: dict[str, Any]) -> list[str]:
    if not up:
        return []
    rows = [
        [
            f"{r['source']} → {r['target']}",
            num(r["seed"]),
            pct(r["source_only_run_accuracy"]),
            pct(r["recipe_accuracy"]),
            CHOICES[r["choice"]],
            num(100 * r["regret"], 1),
            ", ".join(r["alarms"]) or "none",
            "yes" if r["outvoted"] else "no",
            _validator(r),
        ]
        for r in up["rows"]
    ]
    epochs = up["epochs"]
    budget = "each on its own budget" if epochs is None else f"{epochs} epoch{'s' * (epochs != 1)} per stage"
    failed = [
        f"Not judged (a run failed): {f['source']} → {f['target']} seed {f['seed']}: "
        + "; ".join(f"{name}: {error}" for name, error in f["errors"].items())
        for f in up.get("failed", [])
    ]
    return [
        "## Choosing a run on a user's pool",
        "",
        "What the rule chooses from a user's usual pool: one workspace per task and seed holding "
        "`adapt --method source_only --seed N` and `adapt --recipe recommended --seed N` "
        f"({budget}, network {recorded_network(up)}, the engine's other defaults), ranked as "
        f"`runs rank` ranks it (settings {up['settings']}); the target labels only score the choice. "
        "Regret = the better run's target accuracy minus the chosen run's (points; \"keep the "
        "source-only model\" counts as the mean accuracy of the runs' source-only models: the "
        "source-only run and the recipe's warm start). Outvoted: EnsV's "
        "ensemble holds no more adapted models than source-only ones, and another validator ranks.",
        "",
        *table(
            [
                "task",
                "seed",
                "source-only run %",
                "recipe %",
                "rule's choice",
                "regret",
                "alarms",
                "outvoted",
                "ranked by",
            ],
            rows,
        ),
        "",
        f"Mean regret {num(None if up['mean_regret'] is None else 100 * up['mean_regret'], 2)} points; "
        f"{up['n_missed']} of {len(up['rows'])} pools keep a source-only model while the recipe is "
        f"{num(MISSED, 0)} points or more above the source-only run.",
        "",
        *[line + "\n" for line in failed],
    ]
