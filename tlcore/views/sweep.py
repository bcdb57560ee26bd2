"""A sweep's tables for people: the trials and the per-configuration table as DataFrames and CSV.

Pure functions of a :class:`~tlcore.runs.summary.SweepSummary` (``tlcore.runs.driver.summary``);
the CLI's ``sweeps show --csv`` and the app's download give the same file. Columns: the
configuration key, its methods, one column per space key (empty where it does not apply), seed
counts, how many seeds' runs ``passed`` the selection rule (its guardrails, and not below another
config's source-only model), ``<metric> mean`` /
``<metric> std`` per metric, and whether it is the recommended configuration (chosen without target
labels) or the best in hindsight (by target accuracy). :func:`rule` and :func:`outscored_line` say
why the recommendation need not have the column's best ``selection.score`` (``sweeps show`` and the
Sweep page print the same words).
"""

from __future__ import annotations

import math

import pandas as pd

from tlcore.commands import command_line
from tlcore.numbers import first_named, score_text
from tlcore.runs.summary import ConfigRow, SweepSummary
from tlcore.runs.sweep_selection import SCORE_KEY, SETUP_KEYS, selection_score, setup_of
from tlcore.selection.averaged import SCALED
from tlcore.selection.settings import OUTVOTED_VALIDATOR, VALIDATORS, SelectionSettings
from tlcore.views.glossary import OUTRANKED

DEFAULT, OUTVOTED = VALIDATORS[SelectionSettings().validator].label, VALIDATORS[OUTVOTED_VALIDATOR].label
SHARE = (
    f"{VALIDATORS[SCALED].label} as a share of the most it reaches on its seed's samples, so that seeds "
    "of other sizes average alike"
)


def rule(scored_by: str | None = None) -> str:
    """How a sweep recommends a configuration (``sweeps show`` and the Sweep page); where its seeds'
    pools rank by different validators, every seed's score by ``scored_by``
    (:attr:`~tlcore.runs.summary.SweepSummary.scored_by`), and why; BNM as
    :func:`~tlcore.selection.averaged.score_by` takes it."""
    score = f"{DEFAULT}, or {OUTVOTED} where its ensemble is outvoted"
    if scored_by is not None:
        score = (
            f"{VALIDATORS[scored_by].label} on every seed, because its seeds were judged in separate "
            f"pools, some of which rank by {OUTVOTED} as their ensemble is outvoted and others by "
            f"{DEFAULT}, and the two scores do not average"
        )
    return (
        f"the highest mean {SCORE_KEY} (the label-free ranking score: {score}; {SHARE}) among the "
        "configurations whose runs passed the selection rule on every seed (its guardrails, and not "
        f"{OUTRANKED}, as `runs rank` judges each run)"
    )


NAMED = 3  # outscoring configurations named before "and N more"
PER_SETUP = (
    f"one per setup ({', '.join(SETUP_KEYS)}): each is judged against its own source-only model, and one "
    "network's score is no reason to pick it over another's"
)


def passed_text(config: ConfigRow) -> str:
    """``"0/2"``: the configuration's runs that passed the selection rule (guardrails, not outranked) of
    those judged ("-": none yet)."""
    return "-" if config.passed is None else f"{config.passed[0]}/{config.passed[1]}"


def outscored(summary: SweepSummary) -> list[ConfigRow]:
    """The complete configurations with a higher mean selection score than their setup's recommended
    one that did not pass the selection rule on every seed, highest first (empty without a recommendation)."""
    higher = []
    for setup, key in summary.recommended_by_setup.items():
        if (chosen := summary.config(key)) is None:
            continue
        bar = selection_score(chosen.metrics)
        higher += [
            c
            for c in summary.configs
            if setup_of(c.point) == setup
            and c.complete
            and SCORE_KEY in c.metrics
            and c.metrics[SCORE_KEY].mean > bar
            and math.isnan(selection_score(c.metrics))
        ]
    return sorted(higher, key=lambda c: -c.metrics[SCORE_KEY].mean)


def setup_lines(summary: SweepSummary) -> list[str]:
    """One line per setup of a sweep that varies the network or the target labels (:data:`SETUP_KEYS`):
    ``model=lenet_bn: dann|model=lenet_bn`` or why it has none; empty for a sweep of one setup."""
    if len(summary.recommended_by_setup) < 2:
        return []
    return [
        f"{setup}: {key or f'- ({summary.no_recommendation_in(setup)})'}"
        for setup, key in summary.recommended_by_setup.items()
    ]


def outscored_line(summary: SweepSummary, *, workspace: str | None = None) -> str | None:
    """Why the configurations of :func:`outscored` are not recommended, naming the first few with
    their score (:func:`~tlcore.numbers.score_text`, as the sweep's tables) and guardrails passed, and
    the ``runs rank`` command of the sweep's pair that says why for each run (with ``--workspace
    workspace`` when given: :func:`~tlcore.commands.command_line`); None when there is none."""
    higher = outscored(summary)
    if not higher:
        return None
    scored = [f"{c.key} ({score_text(c.metrics[SCORE_KEY].mean)}, passed {passed_text(c)})" for c in higher]
    named = first_named(scored, NAMED)
    spec = summary.sweep.spec
    rank = ("runs", "rank", "--source", spec.source, "--target", spec.target)
    return (
        f"Not recommended despite a higher mean {SCORE_KEY}, for runs that failed the guardrails or are "
        f"{OUTRANKED}: {named} (`{command_line(*rank, workspace=workspace)}` says why for each run)."
    )


def configs_frame(summary: SweepSummary) -> pd.DataFrame:
    """One row per configuration, in the sweep's order."""
    keys = list(summary.sweep.spec.space.dims)
    metrics = sorted({name for config in summary.configs for name in config.metrics})
    rows = []
    for config in summary.configs:
        row: dict[str, object] = {"config": config.key, "methods": config.methods}
        row |= {key: config.point.get(key) for key in keys}
        row |= {"seeds": config.n_seeds, "done": config.n_done, "failed": config.n_failed}
        row["passed"] = None if config.passed is None else config.passed[0]
        for name in metrics:
            stat = config.metrics.get(name)
            row[f"{name} mean"] = stat.mean if stat else None
            row[f"{name} std"] = stat.std if stat else None
        row["recommended"] = summary.is_recommended(config.key)
        row["best_in_hindsight"] = summary.is_best(config.key)
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
