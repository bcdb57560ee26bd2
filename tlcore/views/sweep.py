"""A sweep's tables for people: the trials and the per-configuration table as DataFrames and CSV.

Pure functions of a :class:`~tlcore.runs.summary.SweepSummary` (``tlcore.runs.driver.summary``);
the CLI's ``sweeps show --csv`` and the app's download give the same file. Columns: the
configuration key, its methods, one column per space key (empty where it does not apply), seed
counts, ``<metric> mean`` / ``<metric> std`` per metric, and whether it is the recommended
configuration (chosen without target labels) or the best in hindsight (by target accuracy).
"""

from __future__ import annotations

import pandas as pd

from tlcore.runs.summary import SweepSummary


def configs_frame(summary: SweepSummary) -> pd.DataFrame:
    """One row per configuration, in the sweep's order."""
    keys = list(summary.sweep.spec.space.dims)
    metrics = sorted({name for config in summary.configs for name in config.metrics})
    rows = []
    for config in summary.configs:
        row: dict[str, object] = {"config": config.key, "methods": config.methods}
        row |= {key: config.point.get(key) for key in keys}
        row |= {"seeds": config.n_seeds, "done": config.n_done, "failed": config.n_failed}
        for name in metrics:
            stat = config.metrics.get(name)
            row[f"{name} mean"] = stat.mean if stat else None
            row[f"{name} std"] = stat.std if stat else None
        row["recommended"] = config.key == summary.recommended
        row["best_in_hindsight"] = config.key == summary.best_in_hindsight
        rows.append(row)
    return pd.DataFrame(rows)


def trials_frame(summary: SweepSummary) -> pd.DataFrame:
    """One row per trial: its configuration, seed, run, status, progress and numbers."""
    keys = list(summary.sweep.spec.space.dims)
    rows = []
    for trial in summary.trials:
        data = trial.to_dict()
        row = {name: data[name] for name in ("key", "config", "methods", "seed", "run_id", "status")}
        row |= {key: trial.trial.point.get(key) for key in keys}
        row |= {"progress": data["progress"], "error": data["error"], **trial.metrics}
        rows.append(row)
    return pd.DataFrame(rows)


def configs_csv(summary: SweepSummary) -> str:
    """The per-configuration table as CSV text."""
    return configs_frame(summary).to_csv(index=False)
