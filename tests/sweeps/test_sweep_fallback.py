"""A sweep that recommends no configuration in a setup says what ``runs rank`` decides for that setup's
runs, read from its ranking (tlcore/runs/sweep_fallback.py). QA helper-139 (closing note of the last
session): a sweep whose configurations another sweep's source-only model outranks said "keep the
source-only model", not which one, nor that it came from outside the sweep."""

from __future__ import annotations

import shlex
from dataclasses import replace

import pytest

from tests.selection.test_mixed_baselines import outvoting, right_on, strong_run, weak_run
from tests.sweeps.test_sweep_outranked import judged
from tlcore.adapt.config import AdaptConfig
from tlcore.cli.sweeps import print_summary
from tlcore.runs.executors import ExecutorSettings
from tlcore.runs.store import RunStore
from tlcore.runs.summary import ConfigRow, SweepSummary
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_fallback import fallback_text, fallbacks
from tlcore.runs.sweep_selection import PASSED_KEY, deciding
from tlcore.runs.sweep_store import SweepStore
from tlcore.runs.trial_numbers import Stat
from tlcore.selection.pool import Pool
from tlcore.selection.ranking import rank
from tlcore.workspace import Workspace

CONFIG = AdaptConfig("mnist5k", "digits", methods=("dann",), model="efficientnet_lite0", image_size=64)


def two_sweeps(workspace: Workspace) -> tuple[str, str, str, str, Pool]:
    """This sweep's run (lenet_bn, flagged nowhere but below the other's source-only model) and another
    sweep's efficientnet run, flagged against its own much stronger source-only model: the pool keeps
    that source-only model (with :func:`outvoting`'s c-forgot, so that EnsV's ensemble is not outvoted).
    Returns this sweep's id, the other's, the two stored run ids and the pool."""
    sweeps = SweepStore(workspace)
    spec = SweepSpec("mnist5k", "digits", (("dann",),))
    this, other = (sweeps.create(spec, ExecutorSettings()) for _ in range(2))
    store = RunStore(workspace)
    strong = store.create(replace(CONFIG, epochs=1), sweep_id=other, trial_key="dann|seed=0")
    weak = store.create(
        replace(CONFIG, model="lenet_bn", image_size=None), sweep_id=this, trial_key="dann|seed=0"
    )
    pool = Pool("mnist5k", "digits", (weak_run(right_on(15, 0.8, 2), run_id=weak), strong_run(strong)))
    pool = outvoting(pool)  # c-forgot, on the efficientnet source-only model: the ensemble is not outvoted
    return this, other, weak, strong, pool


def test_the_kept_source_only_model_of_another_sweep_is_named_with_its_command(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    this, other, weak, strong, pool = two_sweeps(workspace)
    store = RunStore(workspace)
    done = tuple(sorted(c.run_id for c in pool.candidates))
    seen = judged(pool, workspace, monkeypatch)
    assert seen[weak][PASSED_KEY] == 0.0  # below b-strong's source-only model: the sweep recommends none
    decided = deciding(store, "mnist5k", "digits", done)
    assert decided[weak].kept == strong == rank(pool).kept  # the ranking's decision, not a new one
    found = fallbacks(store, this, [weak], decided)
    where = f"trial dann|seed=0 of sweep {other}, not this one"
    said = f"keep the source-only model of run {strong} ({where})"
    assert fallback_text(found) == said
    command = "python -m tlcore adapt --source mnist5k --target digits --method source_only --model "
    assert found[0].command() == f"{command}efficientnet_lite0 --image-size 64 --epochs 1"
    assert fallback_text(fallbacks(store, other, [strong], decided)) == (
        f"keep the source-only model of run {strong} (trial dann|seed=0)"  # its own trial: no sweep named
    )
    metrics = {name: Stat(value, None, 1) for name, value in seen[weak].items()}
    row = ConfigRow("dann", "dann", {}, 1, 1, 0, metrics, [weak])
    summary = SweepSummary(SweepStore(workspace).get(this), 1, [], [row], {"": None}, {"": None}, {"": found})
    assert summary.no_recommendation == (
        "no configuration passed the selection rule on every seed (its guardrails, and not below another "
        f"config's source-only model): {said}"
    )
    assert summary.to_dict()["fallback_by_setup"][""] == [
        {"choice": f"keep the source-only model of run {strong}", "run_id": strong, "where": where}
        | {"kept_command": found[0].command()}
    ]
    print_summary(summary)
    out = capsys.readouterr().out
    assert (
        f"    to label data with it, make it a run (its baseline is cached: nothing trains):\n    {command}"
        in out
    )
    # sweeps show --workspace 'my ws': the command, pasted, reads the same workspace (text and --json)
    print_summary(summary, workspace="my ws")
    pasted = capsys.readouterr().out.split("nothing trains):\n    ")[1].splitlines()[0]
    assert shlex.split(pasted)[3:6] == ["--workspace", "my ws", "adapt"]
    given = summary.to_dict(workspace="my ws")["fallback_by_setup"][""][0]["kept_command"]
    assert given == pasted


def test_a_run_runs_rank_recommends_is_named_and_a_plain_keep_stays_as_it_was(workspace: Workspace) -> None:
    this, other, weak, strong, _ = two_sweeps(workspace)
    store = RunStore(workspace)
    reaching = rank(
        Pool("mnist5k", "digits", (weak_run(right_on(27, 0.95), run_id=weak), strong_run(strong)))
    )
    assert reaching.recommended == weak
    found = fallbacks(store, other, [strong], {strong: reaching})
    assert (
        fallback_text(found)
        == f"`runs rank` recommends run {weak} (trial dann|seed=0 of sweep {this}, not this one)"
    )
    assert found[0].command() is None
    alone = rank(Pool("mnist5k", "digits", (strong_run(strong),)))  # flagged, one config: nothing kept
    assert alone.choice == "keep the source-only model"
    assert fallback_text(fallbacks(store, other, [strong], {strong: alone})) == "keep the source-only model"
    assert fallback_text(()) == "keep the source-only model"
    apart = fallbacks(store, other, [strong, weak], {strong: alone, weak: reaching})  # two pools' rankings
    assert fallback_text(apart) == (
        "its runs on other target samples are decided apart: keep the source-only model; `runs rank` "
        f"recommends run {weak} (trial dann|seed=0 of sweep {this}, not this one)"
    )
