"""A run keeps what its splits share with its source (its result's ``shared_samples``): ``runs show``
prints the counts ``adapt`` printed at launch, Compare and the run card read them without the data; a
clean pair's run keeps null, and a run stored before runs kept it says nothing (its ``--json`` lacks the
key: not recorded)."""

from __future__ import annotations

import json

import pytest

from tlcore.cli import main
from tlcore.runs.result_file import RESULT_FILE
from tlcore.runs.store import RunStore
from tlcore.views import compare, run_tables
from tlcore.views.overlap_lines import inflated_line
from tlcore.workspace import Workspace

SHARING = ("--source", "mnist5k:n=400", "--target", "mnist5k:n=200,rotate=30")  # source images, rotated
CLEAN = ("--source", "mnist5k:n=400", "--target", "digits:n=200")
TINY = ("--method", "source_only", "--epochs", "1", "--steps-per-epoch", "2", "--seed", "3")


def cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["--workspace", str(workspace.root), *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def shown(workspace: Workspace, capsys: pytest.CaptureFixture[str], run_id: str) -> tuple[dict, list[str]]:
    """``runs show``'s ``--json`` and its text lines."""
    details = json.loads(cli(workspace, capsys, "runs", "show", run_id, "--json"))
    return details, cli(workspace, capsys, "runs", "show", run_id).splitlines()


def test_a_run_on_a_sharing_pair_keeps_the_finding_adapt_printed(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = json.loads(cli(workspace, capsys, "adapt", *SHARING, *TINY, "--json"))
    launched = ran["shared_samples"]
    assert (launched["shared"], launched["shared_test"], launched["n_test"], launched["seed"]) == (
        200,
        31,
        41,
        3,
    )
    details, lines = shown(workspace, capsys, ran["run_id"])
    assert details["shared_samples"] == launched  # stored with the run: no data loaded to say it
    (first,) = [i for i, line in enumerate(lines) if line.startswith("  shared   ")]
    assert lines[first] == f"  shared   {launched['text']}"  # unwrapped: the tests' terminal is wide

    result = RunStore(workspace).result(ran["run_id"])
    assert run_tables.inflated(result)
    assert run_tables.shared_note(result) == (
        "31 of the 41 target test samples it scored on are source training samples, so its target "
        "accuracy reads too high (all 200 of its target's samples are source samples)"
    )
    run_id = ran["run_id"]
    label = f"source_only · {run_id[-6:]}"
    assert inflated_line({label: result}, {run_id: label}) == (  # QA helper-164: "ID names the fix"
        f"Target accuracy reads too high for {label} (run {run_id}: 31 of its 41 target test samples are "
        "source training samples): its target test split holds samples its model trained on; to score "
        "transfer, take the target from other data."
    )
    report = compare.comparison_report({label: result}, labels={run_id: label})
    assert f"(run {run_id}: 31 of its 41 target test samples are source training samples)" in report


def test_compares_line_names_a_few_runs_by_id_each_fix_once_and_counts_the_rest(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = json.loads(cli(workspace, capsys, "adapt", *SHARING, *TINY, "--json"))
    result = RunStore(workspace).result(ran["run_id"])
    split = {"source": "fashion:n=400,split=train", "target": "fashion:n=200,split=test"}
    other = result | {"shared_samples": result["shared_samples"] | {"fix": split}}  # another pair's finding
    results = {"dann · a": result, "im · b": result, "mcc · c": other, "dan · d": result, "mdd · e": other}
    labels = {f"run-{label[-1]}": label for label in results}
    line = inflated_line(results, labels) or ""
    assert line.startswith(
        "Target accuracy reads too high for dann · a (run run-a: 31 of its 41 target test samples are source "
        "training samples); im · b (run run-b: 31 of its 41"
    )
    assert (
        "; mcc · c (run run-c: 31 of its 41 target test samples are source training samples) and 2 more "
        in line
    )
    assert "dan · d" not in line and "mdd · e" not in line
    assert line.endswith(
        "runs: their target test splits hold samples their models trained on; to score transfer, for "
        "dann · a and im · b, take the target from other data; for mcc · c, use source "
        "fashion:n=400,split=train and target fashion:n=200,split=test."
    )
    three = inflated_line({"dann · a": result, "im · b": result, "dan · d": result}, labels) or ""
    assert three.endswith("trained on; to score transfer, take the target from other data.")  # said once
    hidden = inflated_line({"dann · a": result, "im · b": result, "dan · d": result, "mcc · c": other})
    assert (hidden or "").endswith(  # the fix of a run left unnamed is none of the named ones'
        "take the target from other data (python -m tlcore runs show ID names the others' fixes)."
    )
    runs = {"dann · a": result, "im · b": result, "dan · d": result, "mcc · c": other}
    elsewhere = inflated_line(runs, workspace="/tmp/a ws")  # Compare of the app on $TLSTUDIO_WORKSPACE
    assert (elsewhere or "").endswith(
        "(python -m tlcore --workspace '/tmp/a ws' runs show ID names the others' fixes)."
    )


def test_a_clean_pairs_run_keeps_null_and_an_older_run_says_nothing(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = json.loads(cli(workspace, capsys, "adapt", *CLEAN, *TINY, "--json"))
    assert ran["shared_samples"] is None
    details, lines = shown(workspace, capsys, ran["run_id"])
    assert "shared_samples" in details and details["shared_samples"] is None  # recorded: shares none
    assert not [line for line in lines if line.startswith("  shared")]
    path = RunStore(workspace).folder(ran["run_id"]) / RESULT_FILE
    older = json.loads(path.read_text())
    del older["shared_samples"]  # as a run stored before runs kept it
    path.write_text(json.dumps(older))
    details, lines = shown(workspace, capsys, ran["run_id"])
    assert "shared_samples" not in details  # not recorded: unknown, not "shares none"
    assert not [line for line in lines if line.startswith("  shared")]
    assert run_tables.shared_note(older) is None and not run_tables.inflated(older)
    assert inflated_line({"source_only · run": older}) is None
