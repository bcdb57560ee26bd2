"""The report's selection section: the label-free rule and each validator, per pool of candidate runs."""

from __future__ import annotations

from typing import Any

from bench.networks import recorded_network
from bench.report_format import num, pct, table
from tlcore.selection.settings import VALIDATORS


def _spearman_regret(scored: dict[str, Any] | None) -> str:
    return "—" if scored is None else f"{num(scored['spearman'], 2)} / {num(100 * scored['regret'], 1)}"


def _pool_label(row: dict[str, Any], seeds: list[int]) -> str:
    """A pool's pair, and its seeds when the pair's seeds made separate pools."""
    label = f"{row['source']} → {row['target']}"
    return label + (
        f" (seed {', '.join(map(str, row['seeds']))})" if row.get("seeds", seeds) != seeds else ""
    )


def selection_section(sel: dict[str, Any]) -> list[str]:
    if not sel:
        return []
    names = [name for name in VALIDATORS if any(name in r["validators"] for r in sel["rows"])]
    rows = [
        [
            _pool_label(r, sel["seeds"]),
            num(r["n_runs"]),
            pct(r["best_accuracy"]),
            pct(r["source_only_accuracy"]),
            pct(r["chosen_accuracy"]),
            num(100 * r["regret"], 1),
            "yes" if r["below_source_only"] else "no",
            f"{num(r['alarm_precision'], 2)} / {num(r['alarm_recall'], 2)} ({r['n_alarms']} alarms, "
            f"{r['n_negative']} negative)",
        ]
        for r in sel["rows"]
    ]
    per_validator = [
        [
            VALIDATORS[name].label + (" (advanced)" if VALIDATORS[name].advanced else ""),
            *(_spearman_regret(r["validators"].get(name)) for r in sel["rows"]),
        ]
        for name in names
    ]
    pool = "; ".join("+".join(c["methods"]) + (f" {c['params']}" if c["params"] else "") for c in sel["pool"])
    return [
        "## Choosing a run without target labels",
        "",
        f"Per pair, a pool of candidate runs ({len(sel['pool'])} configurations x seeds {sel['seeds']}, "
        f"{sel['epochs']} epochs, network {recorded_network(sel)}, the engine's other defaults): {pool}. "
        "The default rule "
        f"(`tlcore.selection.ranking.rank`, settings {sel['settings']}) chooses from the stored label-free "
        "scores; the target labels only score its choice. Regret = best target accuracy in the pool minus "
        "the chosen run's (points); \"keep the source-only model\" counts as the pool's mean source-only "
        "accuracy. Alarm: precision / recall on the runs whose target accuracy is below their source-only "
        "model's. A target with a seeded random shift draws other samples per seed, and runs are only "
        "compared on the same samples: such a pair is one pool per seed.",
        "",
        *table(
            ["pair", "runs", "best", "source-only", "rule's choice", "regret", "below source-only", "alarm"],
            rows,
        ),
        "",
        "Each validator alone (no guardrails), Spearman correlation with the true target accuracy / regret "
        "of its top run (points), per pool:",
        "",
        *table(["validator", *(_pool_label(r, sel["seeds"]) for r in sel["rows"])], per_validator),
        "",
    ]
