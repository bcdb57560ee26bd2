"""The benchmark's smallest path end to end, so ``python -m bench`` keeps working.

Runs the benchmark's ``main`` with ``--smoke``, two seeds in two worker processes, in this process
(its imports paid already) and so in this interpreter's environment (where skada and alibi-detect
are normally absent, so their rows must say "not installed") into a temporary folder, then checks
the markdown sections, that the workers' seeds are gathered per method and that the JSON holds
finite figures; then resumes it and runs it on another network. No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench import targets
from bench.__main__ import main as bench_main
from tlcore.models import resolve_model_name

pytestmark = pytest.mark.slow  # about a minute on 2 cores

SECTIONS = (
    "# Benchmarks",
    "## Machine",
    "## Targets",
    "## Target accuracy",
    "## Training speed",
    "## MMD² permutation test",
    "## Diagnose",
    "## Diagnosis explained",
    "## App cold start",
    "## Loading photos",
    "## Choosing a run on a user's pool",
    "## Label shift",
)


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def bench_here(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``python -m bench --smoke ARGS`` run in this process (its imports paid already); its log."""
    capsys.readouterr()
    assert bench_main(["--smoke", *args]) == 0
    return capsys.readouterr().err


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """The smoke run's markdown and JSON: bench's ``main`` in this process (whose imports are paid
    already; ``python -m bench`` itself runs in tests/bench/test_sweep_part.py), its two workers spawned."""
    out = tmp_path_factory.mktemp("bench")
    args = ["--seeds", "2", "--jobs", "2", "--out", str(out), "--workspace", str(out / "ws")]
    assert bench_main(["--smoke", *args, "--state", str(out / "state")]) == 0
    return (out / "benchmarks.md").read_text(), json.loads((out / "benchmarks.json").read_text())


def test_a_resumed_run_reuses_every_finished_cell(
    outputs: tuple[str, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, first = outputs
    state = Path(first["command"].split("--state ")[1].split()[0])
    out = tmp_path_factory.mktemp("resumed")
    log = bench_here(
        capsys, "--seeds", "2", "--only", "accuracy", "--resume", "--out", str(out), "--state", str(state)
    )
    assert "finished cells in" in log and "tlcore source_only seed" not in log  # nothing trained again
    again = json.loads((out / "benchmarks.json").read_text())
    assert again["accuracy"]["tasks"] == first["accuracy"]["tasks"]


def test_markdown_has_every_section_and_the_command(outputs: tuple[str, dict[str, Any]]) -> None:
    markdown, results = outputs
    for heading in SECTIONS:
        assert f"\n{heading}\n" in f"\n{markdown}", heading
    assert f"`{results['command']}`" in markdown
    assert "-m bench --smoke --seeds 2 --jobs 2" in results["command"]


def test_missing_skada_is_reported_not_fatal(outputs: tuple[str, dict[str, Any]]) -> None:
    if importlib.util.find_spec("skada") is not None:
        pytest.skip("skada is installed here")
    markdown, results = outputs
    assert results["accuracy"]["skada"] == "not installed"
    assert any("| SourceOnly | not installed |" in line for line in markdown.splitlines())


def test_missing_alibi_detect_is_reported_not_fatal(outputs: tuple[str, dict[str, Any]]) -> None:
    if importlib.util.find_spec("alibi_detect") is not None:
        pytest.skip("alibi-detect is installed here")
    markdown, results = outputs
    assert results["mmd_speed"]["availability"]["alibi-detect"] == "not installed"
    assert results["mmd_speed"]["rows"][0]["alibi-detect"] == {"status": "not installed"}
    assert any(line.startswith("| 200 | 16 |") and "not installed" in line for line in markdown.splitlines())


def test_json_holds_finite_figures(outputs: tuple[str, dict[str, Any]]) -> None:
    markdown, results = outputs
    assert results["machine"]["cores"] >= 1 and results["machine"]["versions"]["torch"]
    accuracy = results["accuracy"]
    assert (accuracy["jobs"], accuracy["threads_per_job"], accuracy["seeds"]) == (2, 1, [0, 1])
    for entry in accuracy["tasks"][0]["methods"].values():  # the workers' seeds, gathered per method
        runs = entry["tlcore"]["runs"]
        assert [run["seed"] for run in runs] == [0, 1] and all(run["status"] == "done" for run in runs)
        assert entry["tlcore"]["mean"] == pytest.approx(sum(run["accuracy"] for run in runs) / 2)
    row = results["mmd_speed"]["rows"][0]
    assert finite(row["tlcore"]["seconds"]) and row["tlcore"]["seconds"] > 0
    assert row["numpy"]["mmd2"] == pytest.approx(row["tlcore"]["mmd2"], rel=1e-3, abs=1e-6)
    assert finite(row["matmul_fraction"])
    assert finite(results["diagnose"]["first"]["seconds"]) and 0 <= results["diagnose"]["p_value"] <= 1
    assert finite(results["adapt_run"]["seconds"])
    timed = [run for budget in results["time_to_good"]["budgets"].values() for run in budget["runs"]]
    default = resolve_model_name("auto", (1, 28, 28))  # every part trains the engine's default network
    assert timed and {run["network"] for run in timed} == {default}  # each timed run names its network
    assert f"network {default} |" in markdown
    assert list(results["time_to_good"]["budgets"]) == ["recommended", "today", "settled"]
    assert "stopping once settled" in markdown and "--settle-tol" in markdown
    assert {t["status"] for t in results["targets"]} <= {"met", "missed", "not measured"}
    assert len(results["targets"]) == len(targets.judge({}))  # every target judged, even unmeasured
    (chosen,) = results["selection"]["rows"]  # smoke: one pair, the first 4 candidates, one seed
    assert chosen["n_runs"] == 4 and 0 <= chosen["regret"] <= 1
    assert chosen["recommended"] is None or chosen["chosen_accuracy"] <= chosen["best_accuracy"]
    assert "## Choosing a run without target labels" in markdown
    (row,) = results["label_shift"]["rows"]  # smoke: digits halves, one profile
    assert row["profile"] == "one class 50%" and 0 <= row["em_tv_to_truth"] <= 1 and row["true_tv"] > 0.3
    explained = results["explain"]
    assert [(r["shift"], r["target"]) for r in explained["rows"]] == [
        ("invert", "mnist5k:n=300,invert=1"),
        ("blur", "mnist5k:n=300,blur=1"),
    ]
    assert explained["n_scored"] == explained["n_fixes"] > 0  # both a source- and a target-side fix scored
    ceiling = results["ceiling"]  # the bare loop steps the loop's own optimizer, tlcore takes its turn
    assert ceiling["optimizer"] == "fused Adam" and ceiling["network"] == default
    assert finite(ceiling["ceiling"]) and ceiling["runs"]["tlcore"]  # smoke: too few steps for a rate
    assert "### Throughput ceiling" in markdown and "Adam in torch's fused kernel" in markdown
    assert results["selection"]["network"] == results["label_shift"]["network"] == default
    assert explained["network"] == default
    assert f"accuracy: `{default}` trained" in markdown and f"network `{default}`" in markdown
    for kind in ("smooth", "noise"):  # smoke: 1440 x 1080 photos for a 128-pixel output, at 1/2
        photo = results["photos"]["kinds"][kind]
        assert photo["scale"] == 2 and photo["output"] == [96, 128] and finite(photo["speedup"])
        assert 0 < photo["mean_levels"] <= photo["max_levels"] < 16
    for row in explained["rows"]:
        assert finite(row["seconds"]) and (
            row.get("accuracy_after") is None or 0 <= row["accuracy_after"] <= 1
        )


def test_model_runs_the_accuracy_rows_on_another_network(
    outputs: tuple[str, dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--model``: every row on that network, not the cells of the default one, and so labelled."""
    _, first = outputs
    (default,) = {task["model"] for task in first["accuracy"]["tasks"]}
    other = next(name for name in ("lenet", "lenet_bn") if name != default)
    state = Path(first["command"].split("--state ")[1].split()[0])
    out = tmp_path_factory.mktemp("other-network")
    log = bench_here(
        capsys, "--only", "accuracy", "--resume", "--model", other, "--out", str(out), "--state", str(state)
    )
    assert "tlcore source_only seed 0" in log  # trained again: another network's cells
    (task,) = json.loads((out / "benchmarks.json").read_text())["accuracy"]["tasks"]
    networks = {
        run["network"]["name"] for entry in task["methods"].values() for run in entry["tlcore"]["runs"]
    }
    assert task["model"] == other and networks == {other}
    assert f"Network: {other} (not the engine's default)." in (out / "benchmarks.md").read_text()
