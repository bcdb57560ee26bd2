"""Aggregation per configuration (mean ± std over seeds of every number a run stores), the label-free
recommendation beside the best in hindsight, and the CSV of the table."""

from __future__ import annotations

import io
import math
import os
import shlex
import statistics
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from inline_executor import InlineExecutor
from judged_runs import computed, stored
from sweep_workers import judged

from tests.selection.helpers import candidate, probabilities
from tlcore.adapt.config import AdaptConfig
from tlcore.cli.sweeps import print_summary, trial_lines
from tlcore.events import ProgressEvent
from tlcore.runs import driver
from tlcore.runs.record import RunRecord
from tlcore.runs.space import Space, parse_grid
from tlcore.runs.store import RunStore
from tlcore.runs.summary import SEEDS_KEY, ConfigRow, Stat, SweepSummary
from tlcore.runs.sweep import SweepSpec
from tlcore.runs.sweep_selection import PASSED_KEY, SCORE_KEY, per_setup, recommend
from tlcore.runs.sweep_store import SweepStore
from tlcore.runs.trial_numbers import seed_disagreement
from tlcore.selection.predictions import TargetFingerprint
from tlcore.views.sweep import configs_csv, outscored, outscored_line, trials_frame
from tlcore.workspace import Workspace

SEEDS = (0, 1, 2)


def run(ws: Workspace, worker: str) -> SweepSummary:
    space = Space(parse_grid(["dann.weight=0.1,0.3"]))
    spec = SweepSpec("mnist5k", "digits", (("dann", "im"), ("im",)), space, seeds=SEEDS, budget={"epochs": 1})
    sweep_id = driver.create(ws, spec)
    return driver.drive(ws, sweep_id, executor=InlineExecutor(ws, f"sweep_workers:{worker}"), poll=0.0)


def test_stat_is_the_mean_and_the_sample_standard_deviation() -> None:
    values = [0.5, 0.75, 1.5]
    stat = Stat.of(values)
    assert stat.mean == pytest.approx(np.mean(values))
    assert stat.std == pytest.approx(np.std(values, ddof=1))
    assert stat.std == pytest.approx(math.sqrt(sum((v - stat.mean) ** 2 for v in values) / 2))
    assert Stat.of([0.3]) == Stat(0.3, None, 1)


def test_each_configuration_aggregates_every_stored_number_over_its_seeds(workspace: Workspace) -> None:
    summary = run(workspace, "scored")
    assert summary.finished and summary.counts == {"done": 9}
    config = summary.config("dann+im|dann.weight=0.3")
    assert config is not None and config.complete and config.n_seeds == 3 and len(config.run_ids) == 3
    # the stand-in's numbers: target 0.6 + 0.1 w + 0.01 seed, seconds 1 + seed
    assert config.metrics["target_accuracy"].mean == pytest.approx(0.6 + 0.03 + 0.01)
    assert config.metrics["target_accuracy"].std == pytest.approx(0.01)
    assert config.metrics["seconds"] == Stat(2.0, 1.0, 3)
    assert config.metrics["gap_after.mmd2"].mean == pytest.approx(0.03)
    # every numeric leaf under validators, found generically; text skipped
    collapsed = judged(AdaptConfig("s", "t", ("dann", "im"), params={"dann": {"weight": 0.3}}))
    assert config.metrics["validators.after.im"].mean == pytest.approx(collapsed["validators"]["after"]["im"])
    assert config.metrics["validators.after.bnm"].mean == pytest.approx(
        collapsed["validators"]["after"]["bnm"]
    )
    assert not any(name.startswith("validators.note") for name in config.metrics)
    plain = summary.config("im")
    assert (
        plain is not None
        and plain.metrics["validators.after.im"].mean > config.metrics["validators.after.im"].mean
    )


def leaves(tree: object, path: str = "") -> dict[str, object]:
    """Every leaf of nested dicts and lists, by its path."""
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in leaves(sub, f"{path}/{key}").items()}
    if isinstance(tree, list):
        return {k: v for i, sub in enumerate(tree) for k, v in leaves(sub, f"{path}[{i}]").items()}
    return {path: tree}


def test_the_stand_in_workers_judge_their_runs_as_the_selection_code_does_now() -> None:
    """judged_runs.json (read by the workers, which import no torch) is what the selection code
    computes today, to the last few bits (BNM's singular values round differently on an Intel Xeon and
    an AMD EPYC): else ``python -m tests.sweeps.judged_runs`` writes it again."""
    now, kept = leaves(computed()), leaves(stored())
    assert kept.keys() == now.keys()
    numbers = {k for k, v in now.items() if isinstance(v, float)}
    assert {k: kept[k] for k in now.keys() - numbers} == {k: now[k] for k in now.keys() - numbers}
    assert [kept[k] for k in sorted(numbers)] == pytest.approx([now[k] for k in sorted(numbers)], rel=1e-12)


def test_the_recommendation_uses_no_target_labels_and_sits_beside_the_best_in_hindsight(
    workspace: Workspace,
) -> None:
    summary = run(workspace, "scored")
    # the rule: w = 0.3 collapsed (fails), w = 0.1 agrees less with the ensemble than im alone
    judgement = {t.trial.config_key: t.metrics[PASSED_KEY] for t in summary.trials}
    assert judgement == {"im": 1.0, "dann+im|dann.weight=0.1": 1.0, "dann+im|dann.weight=0.3": 0.0}
    assert summary.recommended == "im"
    assert summary.best_in_hindsight == "dann+im|dann.weight=0.3"
    unlabelled = run(Workspace.resolve(workspace.root / "unlabelled"), "unlabelled")
    assert unlabelled.recommended == "im" and unlabelled.best_in_hindsight is None
    assert summary.no_recommendation is None
    only = run(Workspace.resolve(workspace.root / "collapsed"), "collapsed")  # every configuration fails
    assert only.recommended is None and only.no_recommendation == (
        "no configuration passed the selection rule on every seed (its guardrails, and not below another "
        "config's source-only model): keep the source-only model"
    )
    failed = run(Workspace.resolve(workspace.root / "failed"), "failing")
    assert failed.finished and failed.counts == {"failed": 9}
    assert failed.no_recommendation == "no configuration has a done run on every seed (see the failed trials)"


def test_seeds_that_draw_other_target_samples_are_each_judged_among_their_own(workspace: Workspace) -> None:
    """A seeded ``n=`` target gives each seed other samples: each seed's runs form a pool of their own,
    so every trial is judged and the recommendation rests on every seed."""
    summary = run(workspace, "subsampled")
    assert summary.finished and summary.counts == {"done": 9}
    judgement = {(t.trial.config_key, t.trial.seed): t.metrics[PASSED_KEY] for t in summary.trials}
    assert judgement == {
        (key, seed): passed
        for key, passed in (("im", 1.0), ("dann+im|dann.weight=0.1", 1.0), ("dann+im|dann.weight=0.3", 0.0))
        for seed in SEEDS
    }
    assert all(config.metrics[PASSED_KEY].n == 3 for config in summary.configs)
    assert summary.recommended == "im"


def test_the_csv_holds_the_table_the_summary_computes(workspace: Workspace) -> None:
    summary = run(workspace, "scored")
    table = pd.read_csv(io.StringIO(configs_csv(summary)))
    assert list(table["config"]) == ["dann+im|dann.weight=0.1", "dann+im|dann.weight=0.3", "im"]
    assert list(table["dann.weight"].fillna(-1)) == [0.1, 0.3, -1]
    row = table.set_index("config").loc["dann+im|dann.weight=0.1"]
    values = [0.6 + 0.01 + 0.01 * s for s in SEEDS]
    assert row["target_accuracy mean"] == pytest.approx(statistics.fmean(values))
    assert row["target_accuracy std"] == pytest.approx(statistics.stdev(values))
    assert list(table["recommended"]) == [False, False, True]
    assert list(table["best_in_hindsight"]) == [False, True, False]
    trials = trials_frame(summary)
    assert len(trials) == 9 and set(trials["status"]) == {"done"} and trials["run_id"].notna().all()
    assert summary.to_dict()["configs"][0]["metrics"]["target_accuracy"]["n"] == 3
    # the stand-in's predictions do not depend on the seed: its seeds agree everywhere
    assert list(table["seeds_disagree mean"]) == [0.0, 0.0, 0.0] and table["seeds_disagree std"].isna().all()
    assert summary.config("im").metrics[SEEDS_KEY] == Stat(0.0, None, 3)


def _stored_run(store: RunStore, after: np.ndarray, sha: str) -> RunRecord:
    """A done run whose adapted model predicts the classes ``after`` on the samples ``sha``."""
    made = candidate("x", probabilities(np.zeros(len(after), dtype=int), 0.9), probabilities(after, 0.9))
    run_id = store.create(AdaptConfig("mnist5k", "digits", ("im",)))
    validators = replace(made.validators, target=TargetFingerprint(len(after), sha)).to_dict()
    assert store.start(run_id, os.getpid())
    assert store.finish(run_id, {"validators": validators}, write_predictions=made.predictions.save)
    return store.get(run_id)


def test_seed_disagreement_is_the_share_of_samples_the_seeds_classify_differently(
    workspace: Workspace,
) -> None:
    store = RunStore(workspace)
    y = np.arange(12) % 3
    seeds = [_stored_run(store, y, "a"), _stored_run(store, np.where(y == 1, 2, y), "a")]  # "1"s read as "2"
    assert seed_disagreement(seeds) == pytest.approx(4 / 12)
    third = _stored_run(store, np.where(np.arange(12) < 3, 0, y), "a")  # samples 1 (a "1"), 2 (a "2") as "0"
    assert seed_disagreement([*seeds, third]) == pytest.approx(5 / 12)  # the union: 4 "1"s and sample 2
    assert seed_disagreement(seeds[:1]) is None  # one seed: nothing to compare
    assert seed_disagreement([seeds[0], _stored_run(store, y, "b")]) is None  # other target samples


def test_progress_counts_an_ended_trial_whole_and_a_running_one_by_its_progress(workspace: Workspace) -> None:
    spec = SweepSpec("mnist5k", "digits", (("dann",),), Space(parse_grid(["dann.weight=0.1,0.3,1"])))
    sweep_id = driver.create(workspace, spec)
    state = driver.summary(workspace, sweep_id)
    assert state.progress == 0.0 and state.planned == 3
    runs = SweepStore(workspace).runs
    ended, running = (
        runs.create(row.trial.config, sweep_id=sweep_id, trial_key=row.trial.key) for row in state.trials[:2]
    )
    assert runs.start(ended, os.getpid()) and runs.end(ended, "failed", "out of memory")
    assert runs.start(running, os.getpid())
    runs.record_event(running, ProgressEvent("step", "train", 0.25))
    assert driver.summary(workspace, sweep_id).progress == pytest.approx((1 + 0.25) / 3)


def test_a_higher_score_that_failed_the_guardrails_is_named_beside_the_recommendation(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """helper-76's sweep: the star sat on source_only (selection.score 0.2167) while adabn had 0.7371,
    with nothing saying adabn's runs failed the guardrails. The PASSED column and a line say it, the
    score as ``runs rank`` writes one (3 significant digits: 0.737, not 0.7371: helper-226)."""
    summary = run(workspace, "scored")

    def config(key: str, passed: float, score: float) -> ConfigRow:
        metrics = {PASSED_KEY: Stat(passed, 0.0, 2), SCORE_KEY: Stat(score, 0.01, 2)}
        return ConfigRow(key, key, {}, 2, 2, 0, metrics, [])

    configs = [config("source_only", 1.0, 0.2167), config("adabn", 0.0, 0.7371), config("dann", 0.5, 0.5)]
    configs.append(config("im", 1.0, 0.1))
    shown = replace(
        summary, configs=configs, recommended_by_setup={"": recommend(configs)}, best_by_setup={"": None}
    )
    assert shown.recommended == "source_only" and [c.passed for c in configs] == [
        (2, 2),
        (0, 2),
        (1, 2),
        (2, 2),
    ]
    assert [c.key for c in outscored(shown)] == ["adabn", "dann"]  # im scores lower; source_only is it
    assert outscored_line(shown) == (
        "Not recommended despite a higher mean selection.score, for runs that failed the guardrails or are "
        "below another config's source-only model: adabn (0.737, passed 0/2), dann (0.5, passed 1/2) "
        "(`python -m tlcore runs rank --source mnist5k --target digits` says why for each run)."
    )
    elsewhere = outscored_line(shown, workspace="/tmp/a ws") or ""  # sweeps show --workspace '/tmp/a ws'
    pasted = shlex.split(elsewhere.split("`")[1])
    assert pasted[3:5] == ["--workspace", "/tmp/a ws"] and pasted[5:7] == ["runs", "rank"]
    print_summary(shown)
    out = capsys.readouterr().out
    assert (
        "    SEEDS  PASSED  target_accuracy  selection.score  seeds_disagree  gap_after.mmd2  seconds\n"
        in out
    )
    assert "\n *  source_only\n      2/2     2/2                -     0.217 ± 0.01               -" in out
    assert "\n    adabn\n      2/2     0/2                -     0.737 ± 0.01               -" in out
    assert (
        "  * recommended without target labels (the highest mean selection.score (the label-free ranking "
        "score: EnsV, or BNM where its ensemble is outvoted; BNM as a share of the most it reaches on its "
        "seed's samples, so that seeds of other sizes average alike) among the configurations whose runs "
        "passed the selection rule on every seed "
        "(its guardrails, and not below another config's source-only model, as `runs rank` judges each run): "
        "the PASSED column): source_only\n"
        f"    {outscored_line(shown)}\n"
    ) in out
    assert list(pd.read_csv(io.StringIO(configs_csv(shown)))["passed"]) == [2, 0, 1, 2]
    assert outscored(summary) == [] and list(pd.read_csv(io.StringIO(configs_csv(summary)))["passed"]) == [
        3,
        0,
        3,
    ]
    assert [c["passed"] for c in shown.to_dict()["configs"]] == [(2, 2), (0, 2), (1, 2), (2, 2)]  # --json


def test_a_sweep_over_networks_recommends_one_configuration_per_network(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """QA helper-121: a sweep varying ``model`` had one recommendation for all its networks, the best
    score of one network against another's; now each setup (network, target labels) has its own, in
    the table's marks, ``sweeps show`` and the summary's JSON."""
    summary = run(workspace, "scored")

    def config(methods: str, model: str, passed: float, score: float) -> ConfigRow:
        metrics = {PASSED_KEY: Stat(passed, 0.0, 2), SCORE_KEY: Stat(score, 0.01, 2)}
        return ConfigRow(f"{methods}|model={model}", methods, {"model": model}, 2, 2, 0, metrics, [])

    configs = [
        config("dann", "lenet_bn", 1.0, 0.9),
        config("im", "lenet_bn", 1.0, 0.8),
        config("dann", "mlp", 1.0, 0.4),
        config("im", "mlp", 0.0, 0.95),  # failed the guardrails: not mlp's recommendation
        config("coral", "resnet18", 0.5, 0.7),  # no configuration of resnet18 passed
    ]
    chosen = per_setup(configs, recommend)
    assert chosen == {
        "model=lenet_bn": "dann|model=lenet_bn",
        "model=mlp": "dann|model=mlp",
        "model=resnet18": None,
    }
    shown = replace(
        summary, configs=configs, recommended_by_setup=chosen, best_by_setup=dict.fromkeys(chosen)
    )
    assert shown.recommended is None and shown.no_recommendation is None  # none overall, one per network
    table = pd.read_csv(io.StringIO(configs_csv(shown)))
    assert table["recommended"].tolist() == [True, False, True, False, False]
    assert [c.key for c in outscored(shown)] == ["im|model=mlp"]  # against mlp's pick, not lenet_bn's
    print_summary(shown)
    out = capsys.readouterr().out
    assert "\n      model=lenet_bn: dann|model=lenet_bn\n      model=mlp: dann|model=mlp\n" in out
    assert "      model=resnet18: - (no configuration passed the selection rule on every seed" in out
    assert shown.to_dict()["recommended_by_setup"] == chosen


def test_sweeps_show_wraps_the_best_per_network_and_keeps_its_marks_off_the_names(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA helper-132: over two networks the "+ best in hindsight" line ran to 149 characters at
    COLUMNS=80 while the "*" note wrapped, and a mark glued to a name read as part of the composition
    (``*+fixmatch+adabn|model=lenet_bn``, ``+ fixmatch+adabn|model=cnn``)."""
    summary = run(workspace, "scored")
    metrics = {PASSED_KEY: Stat(1.0, 0.0, 2), SCORE_KEY: Stat(0.5, 0.01, 2)}
    configs = [
        ConfigRow(f"fixmatch+adabn|model={m}", "fixmatch+adabn", {"model": m}, 2, 2, 0, metrics, [])
        for m in ("lenet_bn", "cnn")
    ]
    chosen = {"model=lenet_bn": "fixmatch+adabn|model=lenet_bn", "model=cnn": None}
    best = {"model=lenet_bn": "fixmatch+adabn|model=lenet_bn", "model=cnn": "fixmatch+adabn|model=cnn"}
    monkeypatch.setenv("COLUMNS", "80")
    print_summary(replace(summary, configs=configs, recommended_by_setup=chosen, best_by_setup=best))
    out = capsys.readouterr().out
    assert "\n*+  fixmatch+adabn|model=lenet_bn\n" in out and "\n +  fixmatch+adabn|model=cnn\n" in out
    assert out.endswith(
        "  + best in hindsight (mean target_accuracy, needs target labels), one per\n    setup:\n"
        "      model=lenet_bn: fixmatch+adabn|model=lenet_bn\n      model=cnn: fixmatch+adabn|model=cnn\n"
    )


def test_the_trials_table_fits_100_columns_and_one_configuration_can_carry_both_marks(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sweeps show --trials`` printed every stored number of every trial (1317 columns for a sweep of
    6 configurations); a configuration both recommended and best in hindsight showed only ``*``; the
    spec's line did not wrap."""
    summary = run(workspace, "scored")
    lines = trial_lines(summary)
    runs = [row.run.id for row in summary.trials if row.run is not None]
    assert max(map(len, lines)) <= 100 and len(lines) == 1 + 3 + 9
    assert lines[:3] == [
        "    SEED  STATUS  target_accuracy  selection.score  PASSED  RUN",
        "  dann+im|dann.weight=0.1",
        f"       0  done              61.0%            0.833  yes     {runs[0]}",
    ]
    assert lines[5:7] == [
        "  dann+im|dann.weight=0.3",
        f"       0  done              63.0%            0.333  no      {runs[3]}",
    ]
    both = replace(summary, best_by_setup={"": "im"})
    monkeypatch.setenv("COLUMNS", "60")
    print_summary(both)
    out = capsys.readouterr().out
    assert out.splitlines()[1:3] == [  # the spec's line wraps as the CLI's sentences do
        "  mnist5k -> digits, grid search, seeds [0, 1, 2], local",
        f"  executor, created {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(summary.sweep.created))}",
    ]
    assert "\n+ dann+im" not in out and "\n*+  im\n      3/3     3/3 " in out
    assert "    (the recommendation is also the best in hindsight: *+)\n" in out


def test_the_configuration_table_fits_100_columns_however_long_the_keys(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA helper-140: ``sweeps show``'s table ran to 138-141 columns on the QA sweeps (each of five
    numbers "mean ± std" in 17 columns beside a key column as wide as the longest key); the keys now
    stand on lines of their own, the ranking numbers keep their ± std, the rest their mean; the best
    in hindsight's line wraps as the sentences above it."""
    summary = run(workspace, "scored")
    numbers = {"target_accuracy": (0.703, 0.0024), SCORE_KEY: (0.7623, 0.008), "seconds": (9.832, 0.64)}
    numbers |= {"gap_after.mmd2": (0.0009152, 0.00022), PASSED_KEY: (0.0, 0.0)}
    metrics = {name: Stat(mean, std, 2) for name, (mean, std) in numbers.items()} | {
        SEEDS_KEY: Stat(0.32, None, 2)
    }
    key = "fixmatch+adabn+pseudo_label|dann.weight=0.3|lr=0.001|model=lenet_bn|target_labels=10"
    configs = [ConfigRow(key, "fixmatch+adabn+pseudo_label", {}, 2, 2, 0, metrics, [])]
    monkeypatch.setenv("COLUMNS", "100")  # what a piped or unknown terminal gets
    print_summary(replace(summary, configs=configs, recommended_by_setup={"": None}, best_by_setup={"": key}))
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 100
    start = lines.index(
        "    SEEDS  PASSED  target_accuracy  selection.score  seeds_disagree  gap_after.mmd2  seconds"
    )
    assert lines[start + 1 : start + 3] == [
        f" +  {key}",
        "      2/2     0/2     70.3% ± 0.2%    0.762 ± 0.008           32.0%       0.0009152    9.832",
    ]
    assert lines[-2:] == ["  + best in hindsight (mean target_accuracy, needs target labels):", f"    {key}"]
