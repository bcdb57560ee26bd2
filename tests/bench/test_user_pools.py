"""The user's pools part: a source-only run and the recommended recipe per task and seed, configured
as the CLI configures them, ranked and judged; the smoke preset end to end, resumed and merged."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.__main__ import main as bench_main
from bench.user_pools import judge_user_pool, missed, user_configs
from tlcore.cli import build_parser
from tlcore.cli.adapt import config_from_args

PAIR = ("mnist5k", "digits")


@pytest.mark.parametrize(
    ("name", "words"), [("source_only", ["--method", "source_only"]), ("recipe", ["--recipe", "recommended"])]
)
def test_both_runs_are_configured_as_the_cli_configures_them(name: str, words: list[str]) -> None:
    argv = ["adapt", "--source", PAIR[0], "--target", PAIR[1], *words, "--seed", "2"]
    assert user_configs(*PAIR, seed=2)[name] == config_from_args(build_parser().parse_args(argv))


def test_the_tiny_presets_replace_every_stage_s_epochs() -> None:
    full, tiny = user_configs(*PAIR, seed=0)["recipe"], user_configs(*PAIR, seed=0, epochs=1)["recipe"]
    assert (full.epochs, full.adapt_epochs, full.warm_start) == (4, 10, True)
    assert (tiny.epochs, tiny.adapt_epochs, tiny.warm_start) == (1, None, True)
    assert user_configs(*PAIR, seed=0, epochs=1)["source_only"].epochs == 1


def _ranking(recommended: str | None, *, raised: str = "", validator: str = "bnm") -> SimpleNamespace:
    """Two runs: the source-only run (60%) and the recipe (90%) on source-only models of 60% and 50%."""

    def entry(run_id: str, accuracy: float, before: float) -> SimpleNamespace:
        alarm = SimpleNamespace(
            target_accuracy=accuracy,
            source_only_accuracy=before,
            truly_negative=False,
            raised=run_id == raised,
        )
        return SimpleNamespace(run_id=run_id, alarm=alarm, scores={})

    return SimpleNamespace(
        entries=(entry("a", 0.6, 0.6), entry("b", 0.9, 0.5)),
        recommended=recommended,
        reason="",
        ensemble=(2, 1),
        settings=SimpleNamespace(validator=validator),
        asked="ensv" if validator == "bnm" else None,
    )


IDS = {"source_only": "a", "recipe": "b"}


def test_a_pool_is_judged_by_which_run_it_keeps() -> None:
    plain = judge_user_pool(_ranking("a", raised="b"), IDS)
    assert (plain["choice"], plain["alarms"], plain["outvoted"]) == ("source_only", ["recipe"], True)
    assert (plain["source_only_run_accuracy"], plain["recipe_accuracy"]) == (0.6, 0.9)
    assert plain["regret"] == pytest.approx(0.3) and missed(plain)
    assert (plain["validator"], plain["asked"]) == ("bnm", "ensv")
    recipe = judge_user_pool(_ranking("b"), IDS)
    assert (recipe["choice"], recipe["regret"], recipe["alarms"], missed(recipe)) == (
        "recipe",
        0.0,
        [],
        False,
    )
    keep = judge_user_pool(_ranking(None), IDS)  # keeping counts as the source-only models' mean, 55%
    assert keep["choice"] == "keep" and keep["regret"] == pytest.approx(0.35) and missed(keep)


def test_a_recipe_under_three_points_above_is_no_miss() -> None:
    row = {"choice": "keep", "source_only_run_accuracy": 0.6, "recipe_accuracy": 0.629}  # shows as +2.9
    assert not missed(row) and missed(row | {"recipe_accuracy": 0.63})


def test_the_smoke_part_trains_ranks_resumes_and_merges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    args = ["--smoke", "--only", "user_pools", "--out", str(out), "--state", str(state)]
    assert bench_main([*args, "--workspace", str(tmp_path / "ws")]) == 0
    assert capsys.readouterr().err.count("user pool: ") == 2
    part = json.loads((out / "benchmarks.json").read_text())["user_pools"]
    (row,) = part["rows"]  # smoke: one task, one seed
    assert (row["source"], row["target"], row["seed"], part["epochs"]) == (
        "mnist5k:n=400",
        "digits:n=300",
        0,
        1,
    )
    accuracies = (row["source_only_run_accuracy"], row["recipe_accuracy"])
    assert row["n_runs"] == 2 and row["best_accuracy"] == max(accuracies) and min(accuracies) > 0
    assert row["choice"] in ("recipe", "source_only", "keep") and 0 <= row["regret"] <= 1
    assert row["validator"] == ("bnm" if row["outvoted"] else "ensv")
    assert part["n_missed"] == int(missed(row)) and part["mean_regret"] == row["regret"]
    assert (state / "user-pools").is_dir()
    markdown = (out / "benchmarks.md").read_text()
    assert "\n## Choosing a run on a user's pool\n" in markdown
    assert "| mnist5k:n=400 → digits:n=300 | 0 |" in markdown and "Mean regret" in markdown
    earlier = json.loads((out / "benchmarks.json").read_text())
    assert bench_main([*args, "--resume", "--update"]) == 0
    assert "user pool: " not in capsys.readouterr().err  # every run from its cell
    merged = json.loads((out / "benchmarks.json").read_text())
    assert merged["user_pools"]["rows"] == part["rows"] and merged["command"] == earlier["command"]
    assert [u["parts"] for u in merged["updates"]] == [["user_pools"]]  # merged: listed as an update
