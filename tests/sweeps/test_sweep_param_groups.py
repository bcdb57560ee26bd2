"""A sweep's configuration does not pool seeds whose runs were built with other method parameters: a
sweep resumed after a default changed keeps the older seeds apart, its key naming the parameter."""

from __future__ import annotations

from inline_executor import InlineExecutor

from tests.runs.stored_params import set_resolved
from tlcore.cli.sweeps import trial_lines
from tlcore.runs import driver
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.store import RunStore
from tlcore.runs.summary import summarise
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_store import SweepStore
from tlcore.workspace import Workspace


def test_seeds_built_under_another_default_are_a_configuration_of_their_own(workspace: Workspace) -> None:
    space = Space(parse_grid(["dann.weight=0.3"]))
    spec = SweepSpec("mnist5k", "digits", (("dann", "im"),), space, seeds=(0, 1, 2), budget={"epochs": 1})
    sweep_id = driver.create(workspace, spec)
    summary = driver.drive(workspace, sweep_id, executor=InlineExecutor(workspace, "sweep_workers:scored"))
    key = "dann+im|dann.weight=0.3"
    assert [(c.key, c.n_seeds) for c in summary.configs] == [(key, 3)]
    store = RunStore(workspace)
    seed0 = next(row.run for row in summary.trials if row.trial.key == f"{key}|seed=0")
    seed1 = next(row.run for row in summary.trials if row.trial.key == f"{key}|seed=1")
    assert seed0.resolved_params["dann"] == {"weight": 0.3, "hidden": 1024, "gamma": 10.0}  # a trial is a run
    older = {**seed0.resolved_params, "im": {**seed0.resolved_params["im"], "diversity": 0.5}}
    set_resolved(store, seed0.id, older)
    set_resolved(store, seed1.id, None)
    again = summarise(SweepStore(workspace).get(sweep_id), store)
    assert {c.key: c.n_seeds for c in again.configs} == {
        key: 1,
        f"{key}|im.diversity=0.5": 1,
        f"{key}|resolved_params=unknown": 1,
    }
    assert again.config(f"{key}|im.diversity=0.5").run_ids == [seed0.id]
    assert again.config(f"{key}|resolved_params=unknown").run_ids == [seed1.id]
    assert f"  {key}|im.diversity=0.5" in trial_lines(again)
