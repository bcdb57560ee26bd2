"""What a sweep leaves you with in a setup where it recommends no configuration: the decision ``runs rank``
makes over that setup's runs, read from its ranking (:attr:`~tlcore.selection.ranking.Ranking.choice`,
never recomputed), with the run it names and where that run comes from. A config's runs can be below
another config's source-only model from another sweep (or a run of no sweep) of the pair, so the model
to keep need not be one of this sweep's trials (:mod:`tlcore.selection.baselines`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tlcore.adapt.config import AdaptConfig
from tlcore.adapt.source_only_run import source_only_command
from tlcore.runs.candidates import kept_config
from tlcore.runs.store import RunStore
from tlcore.selection.ranking import KEEP, Ranking


@dataclass(frozen=True)
class Fallback:
    """The ranking that decides some of a sweep setup's runs (a pool's part: one setup, one set of
    target samples), the run its choice names (recommended, or whose source-only model it keeps; None
    when it names none), where that run comes from (:func:`origin`) and, when it keeps a source-only
    model, that model's run config (:func:`~tlcore.runs.candidates.kept_config`), which :meth:`command`
    makes a run."""

    ranking: Ranking
    run_id: str | None
    where: str
    kept: AdaptConfig | None = None  # the config of its kept source-only model as a run of its own

    def command(self, *, workspace: str | None = None) -> str | None:
        """The command that makes its kept source-only model a run, with ``--workspace workspace`` when
        given (:func:`~tlcore.adapt.source_only_run.source_only_command`); None when it keeps none."""
        return None if self.kept is None else source_only_command(self.kept, workspace=workspace)

    @property
    def text(self) -> str:
        """``keep the source-only model of run ID (trial K of sweep S, not this one)``, ``runs rank
        recommends run ID (trial K)``, or the ranking's choice when it names no run."""
        choice = self.ranking.choice
        if self.run_id is None:  # "none" only ranked by IWCV or DEV, never a sweep's EnsV
            return KEEP if choice == KEEP else "`runs rank` recommends no run"
        said = choice if self.ranking.kept else f"`runs rank` recommends {choice}"
        return f"{said} ({self.where})"

    def to_dict(self, *, workspace: str | None = None) -> dict[str, Any]:
        return {
            "choice": self.ranking.choice,
            "run_id": self.run_id,
            "where": self.where,
            "kept_command": self.command(workspace=workspace),
        }


def origin(store: RunStore, run_id: str, sweep_id: str) -> str:
    """Where ``run_id`` comes from, seen from sweep ``sweep_id``: ``trial K`` of it, ``trial K of sweep
    S, not this one``, or ``a run of no sweep``."""
    record = store.get(run_id)
    if record.sweep_id is None:
        return "a run of no sweep"
    trial = f"trial {record.trial_key}"
    return trial if record.sweep_id == sweep_id else f"{trial} of sweep {record.sweep_id}, not this one"


def fallbacks(
    store: RunStore, sweep_id: str, run_ids: Iterable[str], deciding: Mapping[str, Ranking]
) -> tuple[Fallback, ...]:
    """One :class:`Fallback` per ranking that decides ``run_ids`` (a setup's runs; ``deciding``: run id
    -> its ranking, :func:`tlcore.runs.sweep_selection.deciding`), first seen first, the same choice said
    once."""
    found: dict[str, Fallback] = {}
    for part in (deciding[run_id] for run_id in run_ids if run_id in deciding):
        run_id = part.recommended or part.kept
        where = "" if run_id is None else origin(store, run_id, sweep_id)
        if part.choice not in found:
            found[part.choice] = Fallback(part, run_id, where, kept_config(store, part))
    return tuple(found.values())


def fallback_text(found: tuple[Fallback, ...]) -> str:
    """The fallbacks in words: one, or each after ``its runs on other target samples are decided apart``
    (a sweep's seeds may load other ``n=`` samples, each ranked among its own); ``keep the source-only
    model`` with none."""
    if len(found) < 2:
        return found[0].text if found else KEEP
    return "its runs on other target samples are decided apart: " + "; ".join(f.text for f in found)


def fallbacks_dict(
    by_setup: Mapping[str, tuple[Fallback, ...]], *, workspace: str | None = None
) -> dict[str, Any]:
    """``{"fallback_by_setup": {setup: [fallback dicts]}}`` for a sweep's JSON (their commands with
    ``--workspace workspace`` when given); ``{}`` without any."""
    if not by_setup:
        return {}
    return {
        "fallback_by_setup": {k: [f.to_dict(workspace=workspace) for f in v] for k, v in by_setup.items()}
    }
