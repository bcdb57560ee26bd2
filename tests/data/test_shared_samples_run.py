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
    assert compare.inflated_line({"source_only · run": result}) == (
        "Target accuracy reads too high for source_only · run (31 of its 41 target test samples are source "
        "training samples): its target test split holds samples its model trained on; python -m tlcore runs "
        "show ID names the fix."
    )
    report = compare.comparison_report({"source_only · run": result})
    assert "31 of its 41 target test samples are source training samples" in report  # the HTML flags it
    two = compare.inflated_line({"dann · a": result, "im · b": result}) or ""
    assert two.startswith("Target accuracy reads too high for dann · a (31 of its 41 target test samples")
    assert "source training samples); im · b (31 of its 41" in two
    assert "their target test splits hold samples their models trained on" in two


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
    assert compare.inflated_line({"source_only · run": older}) is None
