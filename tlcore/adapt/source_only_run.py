"""A run config's source-only twin: the plain ``source_only`` run that trains its baseline (same pair,
budget and seed, so the same cached model), and the commands that launch it or show a run. No torch:
``runs rank`` prints the command of the model a ranking keeps (:mod:`tlcore.adapt.source_model` finds
and loads that model)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tlcore.adapt.config import AdaptConfig, format_value
from tlcore.commands import command_line

SOURCE_ONLY = ("source_only",)
# The baseline's fields (every field of baseline_key but the pair, the device type and the test
# fraction, which no command sets) as adapt's options: --epochs, --steps-per-epoch, ...
BASELINE_OPTIONS = (
    "model",
    "image_size",
    "bottleneck",
    "epochs",
    "steps_per_epoch",
    "batch_size",
    "lr",
    "patience",
    "seed",
)


def is_source_only(result: Mapping[str, Any]) -> bool:
    """Whether a run's stored result is a source-only run's: its model is its own source-only model."""
    return tuple(result["config"].get("methods", ())) == SOURCE_ONLY


def source_only_config(config: AdaptConfig) -> AdaptConfig:
    """``config`` as a plain ``source_only`` run: same pair, budget and seed, so the same baseline."""
    return replace(config, methods=SOURCE_ONLY, params={}, target_labels=0)


def source_only_command(config: AdaptConfig, *, workspace: str | None = None) -> str:
    """The ``python -m tlcore adapt`` command that trains ``config``'s baseline (as a source_only run):
    each of :data:`BASELINE_OPTIONS` off its default, so the run reuses the cached baseline; with
    ``--workspace workspace`` when given (:func:`~tlcore.commands.command_line`)."""
    defaults = AdaptConfig.defaults()
    words = ["adapt", "--source", config.source, "--target", config.target, "--method", "source_only"]
    for name in BASELINE_OPTIONS:
        value = getattr(config, name)
        if value != defaults[name]:
            words += ["--" + name.replace("_", "-"), format_value(value)]
    if config.augment != defaults["augment"]:
        words.append("--augment" if config.augment else "--no-augment")
    return command_line(*words, workspace=workspace)


def runs_show_command(run_id: str, *, workspace: str | None = None) -> str:
    """The command that prints run ``run_id``: its config, target and source-only accuracies."""
    return command_line("runs", "show", run_id, workspace=workspace)
